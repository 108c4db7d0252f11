"""The gRPC surface: servicers, translation, the one error mapping, the server."""
