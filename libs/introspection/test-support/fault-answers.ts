import type { AnswerHandler } from './fake-authorization-server';

/**
 * Answers 200 with the JSON text `body`, one byte every `everyMs` (a
 * Content-Length up front): a slow drip that an inactivity timeout never
 * stops.
 */
export function drippingAnswer(body: string, everyMs: number): AnswerHandler {
  return (_request, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
    let sent = 0;
    const drip = setInterval(() => {
      res.write(body[sent++]);
      if (sent === body.length) {
        clearInterval(drip);
        res.end();
      }
    }, everyMs);
    res.on('close', () => clearInterval(drip));
  };
}

/** Answers 200 with the JSON text `body`, with a Content-Length or, `chunked`, in two chunks without one. */
export function jsonAnswer(body: string, chunked: boolean): AnswerHandler {
  return (_request, res) => {
    if (chunked) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(body.slice(0, body.length >> 1));
      res.end(body.slice(body.length >> 1));
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
      res.end(body);
    }
  };
}
