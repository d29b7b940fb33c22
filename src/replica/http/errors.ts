// Errors of the IC HTTP interface. Each carries the HTTP status the IC answers with and the
// plain-text body it sends (rs/http_endpoints/public: `make_plaintext_response`). Callers branch
// on the class; the message is what the client sees.

export class HttpInterfaceError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the body is not a well-formed envelope of the expected request type. */
export class MalformedRequestError extends HttpInterfaceError {
  constructor(message: string) {
    super(400, message);
  }
}

/**
 * 400: the request is well formed but fails validation (expiry, sender, signature, delegation).
 * The texts follow the IC's `RequestValidationError` display, which agent-js matches on
 * (`Invalid request expiry: ` triggers its time sync).
 */
export class RequestValidationError extends HttpInterfaceError {
  constructor(message: string) {
    super(400, message);
  }
}

/** 403: a read_state path the sender may not read. */
export class ForbiddenPathError extends HttpInterfaceError {
  constructor(message: string) {
    super(403, message);
  }
}

/** 404: unknown route, or a read_state path the IC does not serve. */
export class NotFoundError extends HttpInterfaceError {
  constructor(message: string) {
    super(404, message);
  }
}

/** 413: the HTTP body or the ingress message is larger than the IC accepts. */
export class PayloadTooLargeError extends HttpInterfaceError {
  constructor(message: string) {
    super(413, message);
  }
}
