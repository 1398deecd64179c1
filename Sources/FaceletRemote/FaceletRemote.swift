// The remote-registry client (libcurl): pull, publish --to, outdated, static mirrors.
// See docs/remote.md. Placeholder until the client lands.
