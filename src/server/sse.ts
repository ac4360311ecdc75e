// Server-Sent Events over a hijacked reply: each event is written (and so flushed) on its own.
import type { ServerResponse } from 'node:http';

export class SseStream {
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly res: ServerResponse, requestId: string) {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no', // keep reverse proxies from buffering the stream
      'x-request-id': requestId,
    });
    res.flushHeaders();
    // Comments keep idle proxies from cutting the stream while the request waits in the queue.
    this.heartbeat = setInterval(() => this.comment('waiting'), 15_000);
    this.heartbeat.unref();
  }

  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  send(event: string, data: unknown): void {
    if (this.open) this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    if (this.open) this.res.write(`: ${text}\n\n`);
  }

  end(): void {
    clearInterval(this.heartbeat);
    if (this.open) this.res.end();
  }
}
