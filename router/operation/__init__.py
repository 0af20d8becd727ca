"""The client's operation at request level, before any planning: parse, validate, select the
operation, coerce variables, check limits, and normalize the selection (`normalize`); the
errors that refuse a request as a whole (`errors`).

Nothing here knows subgraphs: planning (`router/planning/`) reads the normalized
`SelectionSet` this package produces, and so do projection, demand control and authorization.
"""

from .errors import RequestError, error_dict, graphql_error_dict

__all__ = ["RequestError", "error_dict", "graphql_error_dict"]
