"""What starts a process: the gRPC server, the container, the CLI, the sandbox."""
