// twidgets Plot: a plotly figure held as JSON traits (figure_data, figure_layout, figure_config), drawn with Plotly.react.
// plotly.js is loaded once per page (one promise on globalThis, shared by every Plot model,
// whatever module copy anywidget made of this file): from a URL the server serves, else sent
// once by the kernel. No timeouts: a figure whose plotly.js or data arrives late draws then.

const KEY = "__twidgetsPlotly";

function pageConfig() {
  const el = document.getElementById("jupyter-config-data");
  if (!el) return null;
  try {
    return JSON.parse(el.textContent || "{}");
  } catch (e) {
    return null;
  }
}

function joinUrl(base, path) {
  return base.replace(/\/+$/, "") + "/" + path.replace(/^\/+/, "");
}

// The URL of plotly.min.js the page names (extensionConfig.twidgetsPlotlyUrl: `twidgets app` sets it
// for its standalone Voila), else the route of twidgets' Jupyter server extension, which is probed
// with HEAD first: a standalone Voila serving one notebook answers any other GET with the notebook.
async function plotlyUrl() {
  const cfg = pageConfig();
  if (cfg === null) return null; // not a Jupyter page
  const base = cfg.baseUrl || "/";
  const named = cfg.extensionConfig && cfg.extensionConfig.twidgetsPlotlyUrl;
  if (typeof named === "string" && named) return /^([a-z]+:)?\/\//i.test(named) || named.startsWith("/") ? named : joinUrl(base, named);
  const url = joinUrl(base, "twidgets/static/plotly.min.js");
  const head = await fetch(url, { method: "HEAD", credentials: "same-origin" });
  return head.ok ? url : null;
}

// plotly.min.js is UMD: handed `module`, it returns Plotly without needing an AMD loader.
function evaluateBundle(text) {
  const module = { exports: {} };
  new Function("module", "exports", "define", text)(module, module.exports, undefined);
  const Plotly = module.exports;
  if (!Plotly || typeof Plotly.react !== "function") throw new Error("twidgets: the plotly.js bundle did not define Plotly");
  return Plotly;
}

function globalPlotly() {
  return globalThis.Plotly && typeof globalThis.Plotly.react === "function" ? globalThis.Plotly : null;
}

// `twidgets app`'s page template starts loading plotly.js in <head> (script#tw-plotly-preload),
// long before any figure exists; wait for that script rather than fetch the bundle again.
function preloaded() {
  const el = document.getElementById("tw-plotly-preload");
  if (el === null) return Promise.resolve(null);
  if (el.dataset.twState) return Promise.resolve(globalPlotly());
  return new Promise((resolve) => el.addEventListener("tw-plotly", () => resolve(globalPlotly()), { once: true }));
}

async function fromUrl() {
  const early = (await preloaded()) || globalPlotly();
  if (early) return early;
  let url = null;
  try {
    url = await plotlyUrl();
    if (url === null) return null;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return null;
    return evaluateBundle(await response.text());
  } catch (e) {
    console.warn("twidgets: could not load plotly.js from", url, e);
    return null;
  }
}

function fromKernel(model) {
  const state = globalThis[KEY];
  if (!state.kernel) {
    state.kernel = new Promise((resolve, reject) => {
      const onMessage = (msg, buffers) => {
        if (!msg || msg.type !== "plotly-bundle") return;
        model.off("msg:custom", onMessage);
        try {
          const bytes = buffers[0] instanceof DataView ? buffers[0] : new DataView(buffers[0].buffer || buffers[0]);
          resolve(evaluateBundle(new TextDecoder().decode(bytes)));
        } catch (e) {
          reject(e);
        }
      };
      model.on("msg:custom", onMessage);
      model.send({ type: "plotly-request" });
    });
  }
  return state.kernel;
}

function loadPlotly(model) {
  if (!globalThis[KEY]) globalThis[KEY] = { url: fromUrl(), kernel: null };
  return globalThis[KEY].url.then((Plotly) => Plotly || fromKernel(model));
}

function plain(value) {
  if (value === undefined) return null;
  if (value === null || typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch (e) {
    return null;
  }
}

function pointJson(p) {
  let index = null;
  if (Array.isArray(p.pointNumber)) index = p.pointNumber;
  else if (typeof p.pointNumber === "number") index = p.pointNumber;
  else if (typeof p.pointIndex === "number") index = p.pointIndex;
  return { trace: p.curveNumber, index, x: plain(p.x), y: plain(p.y), z: plain(p.z), customdata: plain(p.customdata) };
}

const EVENTS = { plotly_click: "click", plotly_hover: "hover", plotly_selected: "selection" };

// Slides: the modebar's camera saves a PNG at twice the on-screen resolution, and a second
// button saves an SVG (both drawn by plotly.js in the browser; no server-side renderer).
function withExports(Plotly, config) {
  const out = Object.assign({}, config || {});
  out.toImageButtonOptions = Object.assign({ format: "png", scale: 2, filename: "twidgets-figure" }, out.toImageButtonOptions || {});
  const svg = {
    name: "tw-svg",
    title: "Download plot as SVG",
    icon: Plotly.Icons.disk,
    click: (gd) => Plotly.downloadImage(gd, { format: "svg", filename: out.toImageButtonOptions.filename }),
  };
  out.modeBarButtonsToAdd = (out.modeBarButtonsToAdd || []).concat([svg]);
  return out;
}

// Resolve after the tasks the page has waiting at a higher priority (Chromium's task
// scheduler, scheduler.postTask); elsewhere as a new task, after those already queued (a
// message to itself: no timer).
function yieldToPage(priority) {
  const scheduler = globalThis.scheduler;
  if (scheduler && typeof scheduler.postTask === "function") return scheduler.postTask(() => undefined, { priority });
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

function render({ model, el }) {
  el.classList.add("tw-plot");
  const area = document.createElement("div");
  area.className = "tw-plot-area";
  el.appendChild(area);
  let alive = true;
  let Plotly = null;
  let queued = false;
  let drawing = Promise.resolve();
  let bound = false;

  const bindEvents = () => {
    if (bound || typeof area.on !== "function") return;
    bound = true;
    for (const [name, kind] of Object.entries(EVENTS)) {
      area.on(name, (event) => {
        if (!(model.get("_events") || []).includes(kind)) return;
        const points = (event && event.points) || [];
        model.send({ type: "event", kind, points: points.map(pointJson) });
      });
    }
  };

  const draw = () => {
    if (queued || Plotly === null) return;
    queued = true;
    drawing = drawing
      .then(async () => {
        // A draw is one long task. The first one waits behind the page's own start-up work
        // (other widgets starting, which anywidget gives two seconds, then drops the comm
        // messages of a widget that missed them); later draws just let waiting tasks go first.
        await yieldToPage(el.dataset.twRev === undefined ? "background" : "user-visible");
        queued = false;
        if (!alive) return;
        const rev = model.get("rev");
        const layout = structuredClone(model.get("figure_layout") || {});
        layout.datarevision = rev;
        await Plotly.react(area, model.get("figure_data") || [], layout, withExports(Plotly, model.get("figure_config")));
        bindEvents();
        el.dataset.twRev = String(rev);
        fit(); // drawn while detached or hidden: plotly used its default width
      })
      .catch((e) => console.error("twidgets: drawing a plot failed", e));
  };

  const onChange = () => draw();
  model.on("change:rev", onChange);
  model.on("change:figure_data", onChange);
  model.on("change:figure_layout", onChange);
  model.on("change:figure_config", onChange);
  // Fit the figure to the width the page gives it when that changes (a window resize, a tab
  // shown, a figure first drawn while detached). The figure's own first draw making the element
  // taller is no reason to draw it again.
  const fit = () => {
    if (Plotly === null || el.dataset.twRev === undefined) return;
    const svg = area.querySelector(".main-svg");
    const width = area.clientWidth;
    if (svg !== null && width > 0 && width !== Number(svg.getAttribute("width"))) Plotly.Plots.resize(area);
  };
  const resize = new ResizeObserver(fit);
  resize.observe(el);

  loadPlotly(model).then(
    (loaded) => {
      Plotly = loaded;
      draw();
    },
    (e) => console.error("twidgets: plotly.js could not be loaded", e),
  );

  return () => {
    alive = false;
    resize.disconnect();
    model.off("change:rev", onChange);
    model.off("change:figure_data", onChange);
    model.off("change:figure_layout", onChange);
    model.off("change:figure_config", onChange);
    if (Plotly !== null) Plotly.purge(area);
  };
}

export default { render };
