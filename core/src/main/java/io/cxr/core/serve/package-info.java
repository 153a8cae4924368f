/**
 * Serving a model over HTTP, without the HTTP: the micro-batching scorer behind {@code cxr serve}'s
 * endpoints (the server itself is in the command line module). Imports model, data and the base.
 */
package io.cxr.core.serve;
