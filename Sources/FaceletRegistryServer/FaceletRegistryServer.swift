// The registry server: the local store over HTTP under /v1/ (docs/remote.md).
// Placeholder until the server lands.
