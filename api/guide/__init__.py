"""The consular guide: articles agents answer from, published for citizens (issue 16)."""
