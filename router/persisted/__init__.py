"""Operations sent by id: automatic persisted queries (`apq`) and trusted documents from a
manifest (`manifest`), resolved to their text by `documents`; `extract` builds manifests."""
