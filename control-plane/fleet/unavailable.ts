import { HTTPException } from 'hono/http-exception';

/** 503 while a part of the control plane is still starting (mapped by the core's on-error via HTTPException). */
export class ServiceUnavailableError extends HTTPException {
  constructor(message: string) {
    super(503, { message });
  }
}
