import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '@wattline/domain';
import { STATUS_BY_CODE, problemType, type Problem } from './problem';

/** Thrown by the validation pipe: carries field-level detail. */
export class ValidationProblem extends Error {
  constructor(readonly errors: { field: string; message: string }[]) {
    super('The request is not valid');
  }
}

/** The one place that turns errors into `application/problem+json` (RFC 9457). */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request>();
    const problem = bounded(this.toProblem(exception));
    problem.instance = clip(req.originalUrl, MAX_ECHO * 2);
    if (problem.status >= 500)
      this.logger.error(`${req.method} ${redactSecrets(req.originalUrl)}: ${(exception as Error)?.stack ?? exception}`);
    // A refusal that says when to come back (a full compute queue) says it in Retry-After too [RFC 9110 §10.2.3].
    const retryAfter = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
    if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
    // The OpenADR VTN answers its document's `problem` as application/json, `instance` (an absolute URI there) left out.
    if (req.path.startsWith('/openadr/')) {
      delete problem.instance;
      res.status(problem.status).type('application/json').send(JSON.stringify(problem));
      return;
    }
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof ValidationProblem) {
      return {
        type: problemType('validation_failed'),
        title: 'Validation failed',
        status: 400,
        code: 'validation_failed',
        detail: exception.message,
        errors: exception.errors,
      };
    }
    if (exception instanceof DomainError) {
      return {
        type: problemType(exception.code),
        title: exception.code.replace(/_/g, ' '),
        status: STATUS_BY_CODE[exception.code],
        code: exception.code,
        detail: exception.message,
        ...('field' in exception.details ? { errors: [{ field: String(exception.details.field), message: exception.message }] } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      const detail = typeof body === 'string' ? body : ((body as { message?: unknown }).message ?? exception.message);
      return {
        type: 'about:blank',
        title: exception.name.replace(/Exception$/, ''),
        status,
        detail: Array.isArray(detail) ? detail.join('; ') : String(detail),
      };
    }
    // The body parser's own refusals (http-errors with `expose`): a body too large (413), not JSON (400).
    const parserError = exception as { status?: unknown; expose?: unknown; type?: unknown; limit?: unknown; message?: unknown } | null;
    if (
      parserError &&
      parserError.expose === true &&
      typeof parserError.status === 'number' &&
      parserError.status >= 400 &&
      parserError.status < 500
    ) {
      const detail =
        parserError.type === 'entity.too.large'
          ? `the body is larger than the ${parserError.limit} bytes a request may carry`
          : parserError.type === 'entity.parse.failed'
            ? 'the body is not valid JSON'
            : String(parserError.message);
      return {
        type: 'about:blank',
        title: parserError.status === 413 ? 'Payload Too Large' : 'Bad Request',
        status: parserError.status,
        detail,
      };
    }
    return { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred' };
  }
}

/** The most of a client's own input a problem echoes back (a field name, a value): enough to find it, never the whole of a hostile one. */
const MAX_ECHO = 200;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** A problem whose every text is bounded: an unknown 250 KB key is named by its start, not echoed whole. */
export function bounded(problem: Problem): Problem {
  return {
    ...problem,
    ...(problem.detail === undefined ? {} : { detail: clip(problem.detail, MAX_ECHO * 2) }),
    ...(problem.errors
      ? { errors: problem.errors.slice(0, 20).map((e) => ({ field: clip(e.field, MAX_ECHO), message: clip(e.message, MAX_ECHO * 2) })) }
      : {}),
  };
}

/** A URL as it may be logged: the secrets pages take in the query (a display's `password`, the dashboard's `key`) blanked. */
export function redactSecrets(url: string): string {
  return url.replace(/([?&](?:password|key|apiKey|token)=)[^&#]*/gi, '$1***');
}
