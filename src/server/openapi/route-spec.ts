// What a route tells the OpenAPI builder about itself. Each `routes/<endpoint>/schema.ts` exports
// one RouteSpec; `route.ts` registers the route from the same object (method, url, body schema),
// so validation, handler types and openapi.yaml come from one source.
import { Type, type TSchema } from '@sinclair/typebox';
import { ERROR_CATALOGUE } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** From RouteSpec.authenticated (routeBase); auth.ts checks the API key when true. Declared so that
     *  route configs stay assignable once a plugin (@fastify/multipart) adds keys of its own. */
    authenticated?: boolean;
  }
}

export interface ResponseSpec {
  description: string;
  /** Media type -> schema; a plain schema means application/json. */
  content?: Record<string, TSchema>;
  headers?: Record<string, { description: string; schema: TSchema }>;
}

export interface RouteSpec {
  method: 'GET' | 'POST';
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Requires `Authorization: Bearer` when the server has an API key. */
  authenticated: boolean;
  body?: TSchema;
  /** Request media types accepted beside application/json (`body`), e.g. multipart/form-data. */
  bodyContent?: Record<string, TSchema>;
  responses: Record<string, ResponseSpec>;
}

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      type: Type.String({ description: 'invalid_request_error, authentication_error or server_error' }),
      param: Type.Union([Type.String(), Type.Null()], {
        description: 'The request field at fault, e.g. messages[0].content[1].image_url',
      }),
      code: Type.String({ description: 'A stable error code', enum: Object.keys(ERROR_CATALOGUE) }),
    }),
  },
  { title: 'ErrorResponse' },
);

/** Standard error responses for the given statuses, with the catalogue codes each can carry. */
export function errorResponses(statuses: readonly number[]): Record<string, ResponseSpec> {
  const entries = statuses.map((status): [string, ResponseSpec] => {
    const codes = Object.entries(ERROR_CATALOGUE)
      .filter(([, entry]) => entry.status === status)
      .map(([code]) => code);
    const response: ResponseSpec = {
      description: `Error: ${codes.join(', ')}`,
      content: { 'application/json': ErrorResponse },
    };
    if (status === 503)
      response.headers = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: Type.Integer() } };
    return [String(status), response];
  });
  return Object.fromEntries(entries);
}

export const json = (schema: TSchema): Record<string, TSchema> => ({ 'application/json': schema });

/** The part of Fastify's route options that the spec decides: method, url, and whether auth applies. */
export function routeBase(spec: RouteSpec): {
  method: RouteSpec['method'];
  url: string;
  config: { authenticated: boolean };
} {
  return { method: spec.method, url: spec.url, config: { authenticated: spec.authenticated } };
}
