"""Apollo Router's external coprocessor protocol (`plugin.Coprocessor`), configured by the
``coprocessor`` section of ``router.yaml`` (`config.CoprocessorConfig`)."""

from router.plugins.coprocessor.config import CoprocessorConfig

__all__ = ["CoprocessorConfig"]
