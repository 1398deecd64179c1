// The embeddable HTTP server (libmicrohttpd) shared by the runtime service and the registry
// server. Placeholder until the wrapper moves here from FaceletService.
