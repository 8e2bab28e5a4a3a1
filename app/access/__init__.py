"""Who may call the gateway: API keys with scopes, limited to some suppliers if need be."""
