import { Hono } from 'hono';
import { InstallInfo } from '../../../contract/api/install.ts';
import { NotFoundError } from '../../../contract/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { shaped } from '../respond.ts';

/** `GET /api/enrollment/install`: the install one-liner with the advertised URL (Enrollment page). */
export function installRoutes(deps: ApiDeps) {
  return new Hono().get('/enrollment/install', (c) => {
    if (!deps.installInfo) throw new NotFoundError('install information', 'enrollment/install');
    return c.json(shaped(InstallInfo, deps.installInfo()));
  });
}
