"""Request policy that is not GraphQL semantics: header rules (`headers`), rate limits
(`rate_limit`)."""
