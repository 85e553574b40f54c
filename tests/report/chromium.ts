/**
 * A small headless-Chromium driver for the report's browser test, over the DevTools
 * protocol (HTTP `/json/list` + one WebSocket): open a page, collect console errors,
 * exceptions, failed loads and log errors, evaluate an expression, take a full-page
 * screenshot. Debian's `chromium` (or `$CHROMIUM`) is used; {@link findChromium} says
 * whether one is installed.
 *
 * @module
 */

/** The browser binary, or undefined when none is installed. */
export function findChromium(): string | undefined {
  const env = Deno.env.get("CHROMIUM");
  const candidates = [
    env,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ].filter((x): x is string => !!x);
  for (const c of candidates) {
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* next */ }
  }
  return undefined;
}

/** What happened when a page was opened. */
export interface PageVisit {
  /** Console errors, uncaught exceptions, failed requests and log errors. */
  errors: string[];
  /** Result of the expression evaluated after the load event. */
  value: unknown;
  /** Full-page PNG screenshot. */
  screenshot: Uint8Array;
}

async function readUntil(stream: ReadableStream<Uint8Array>, re: RegExp, ms: number) {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        reader.read(),
        new Promise<null>((res) => {
          timer = setTimeout(() => res(null), Math.max(1, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
      if (!r || r.done) break;
      text += dec.decode(r.value);
      const m = re.exec(text);
      if (m) return m;
    }
  } finally {
    reader.releaseLock();
  }
  throw new Error(`chromium did not print ${re} in ${ms} ms:\n${text.slice(-2000)}`);
}

/**
 * Opens `url` in a fresh headless Chromium, waits for the load event, evaluates `expression`
 * (returned by value), and takes a full-page screenshot of at most `maxHeight` pixels.
 */
export async function visit(
  binary: string,
  url: string,
  expression: string,
  opts: { width?: number; maxHeight?: number; timeoutMs?: number } = {},
): Promise<PageVisit> {
  const profile = await Deno.makeTempDir({ prefix: "cmrxkit-chromium-" });
  const proc = new Deno.Command(binary, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      `--window-size=${opts.width ?? 1400},900`,
      "about:blank",
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timeout = opts.timeoutMs ?? 60_000;
  let ws: WebSocket | undefined;
  try {
    const m = await readUntil(proc.stderr, /DevTools listening on ws:\/\/([^/\s]+)\//, timeout);
    // Keep draining stderr so the browser never blocks on a full pipe.
    proc.stderr.pipeTo(new WritableStream()).catch(() => {});
    const host = m[1];
    let page: { webSocketDebuggerUrl: string } | undefined;
    for (let i = 0; i < 50 && !page; i++) {
      const list = await (await fetch(`http://${host}/json/list`)).json() as {
        type: string;
        webSocketDebuggerUrl: string;
      }[];
      page = list.find((t) => t.type === "page");
      if (!page) await new Promise((r) => setTimeout(r, 100));
    }
    if (!page) throw new Error("chromium opened no page target");
    ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((res, rej) => {
      ws!.onopen = res;
      ws!.onerror = rej;
    });
    const errors: string[] = [];
    const waiting = new Map<number, (msg: any) => void>();
    let loaded: () => void = () => {};
    const loadEvent = new Promise<void>((r) => (loaded = r));
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.id !== undefined) {
        waiting.get(msg.id)?.(msg);
        waiting.delete(msg.id);
        return;
      }
      const p = msg.params;
      switch (msg.method) {
        case "Page.loadEventFired":
          loaded();
          break;
        case "Runtime.consoleAPICalled":
          if (p.type === "error" || p.type === "assert") {
            errors.push(
              `console.${p.type}: ${p.args.map((a: any) => a.value ?? a.description).join(" ")}`,
            );
          }
          break;
        case "Runtime.exceptionThrown":
          errors.push(
            `exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`,
          );
          break;
        case "Log.entryAdded":
          if (p.entry.level === "error") errors.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`);
          break;
        case "Network.loadingFailed":
          errors.push(`load failed: ${p.errorText} (${p.requestId})`);
          break;
      }
    };
    let next = 1;
    const send = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<any>((res, rej) => {
        const id = next++;
        const timer = setTimeout(() => rej(new Error(`${method} timed out`)), timeout);
        waiting.set(id, (msg) => {
          clearTimeout(timer);
          msg.error ? rej(new Error(`${method}: ${msg.error.message}`)) : res(msg.result);
        });
        ws!.send(JSON.stringify({ id, method, params }));
      });
    for (const d of ["Page", "Runtime", "Log", "Network"]) await send(`${d}.enable`);
    await send("Page.navigate", { url });
    let loadTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      loadEvent,
      new Promise((_, rej) => {
        loadTimer = setTimeout(() => rej(new Error("page load timed out")), timeout);
      }),
    ]).finally(() => clearTimeout(loadTimer));
    const ev = await send("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (ev.exceptionDetails) errors.push(`evaluate: ${ev.exceptionDetails.text}`);
    const metrics = await send("Page.getLayoutMetrics");
    const size = metrics.cssContentSize ?? metrics.contentSize;
    const shot = await send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: {
        x: 0,
        y: 0,
        width: Math.ceil(size.width),
        height: Math.min(Math.ceil(size.height), opts.maxHeight ?? 6000),
        scale: 1,
      },
    });
    const bin = atob(shot.data);
    const screenshot = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return { errors, value: ev.result?.value, screenshot };
  } finally {
    try {
      ws?.close();
    } catch { /* closed */ }
    try {
      proc.kill("SIGTERM");
    } catch { /* exited */ }
    await proc.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}
