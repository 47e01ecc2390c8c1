// twidgets app: say so when the page's session ends (kernel died, was shut down, or the
// connection to the server was lost), make the page inert so no edit is silently dropped,
// and offer a reload. Uses Voila's application object (window.jupyterapp) and the
// kernel connection of its widget manager (Lumino signals of @jupyterlab/services).
(function () {
  "use strict";
  const ENDED = new Set(["dead", "autorestarting", "restarting", "terminating"]);
  let lastInput = null;
  for (const type of ["input", "change", "pointerup", "keydown"]) {
    document.addEventListener(type, () => { lastInput = new Date(); }, true);
  }

  function releaseKernel(kernelId) {
    // the same request Voila sends when a tab closes: the server shuts the kernel down now
    if (!kernelId || !navigator.sendBeacon) return;
    const base = document.body.getAttribute("data-base-url") || "/voila/";
    const form = new FormData();
    const xsrf = document.cookie.match("\\b_xsrf=([^;]*)\\b");
    form.append("_xsrf", (xsrf && xsrf[1]) || "");
    navigator.sendBeacon(`${base}api/shutdown/${kernelId}`, form);
  }

  function endSession(reason, kernelId) {
    if (document.querySelector(".tw-session-ended")) return;
    const ended = new Date();
    const cells = document.getElementById("rendered_cells");
    if (cells) cells.inert = true;  // nothing on the page accepts an edit any more
    const box = document.createElement("div");
    box.className = "tw-session-ended";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-live", "assertive");
    const title = document.createElement("strong");
    title.textContent = "This session has ended";
    const text = document.createElement("p");
    let lost = "Changes made on this page from now on cannot be applied.";
    if (lastInput && ended - lastInput < 15000) {
      lost = `Your last change (at ${lastInput.toLocaleTimeString()}) may not have been applied, ` +
             "and nothing more can be changed here.";
    }
    text.textContent = `${reason} ${lost} Reload the page to start a new session.`;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "tw-reload";
    button.textContent = "Reload";
    button.addEventListener("click", () => window.location.reload());
    box.append(title, text, button);
    document.body.appendChild(box);
    button.focus();
    releaseKernel(kernelId);
  }

  function watch(kernel) {
    const id = kernel.id;
    const onStatus = (_, status) => {
      if (ENDED.has(status)) {
        endSession("The server stopped the Python kernel behind this page (it crashed, ran out of memory, " +
                   "or was shut down after a long time without use).", status === "dead" ? null : id);
      }
    };
    const onConnection = (_, status) => {
      if (status === "disconnected") {
        endSession("The connection to the server was lost.", id);
      }
    };
    kernel.statusChanged.connect(onStatus);
    kernel.connectionStatusChanged.connect(onConnection);
    onStatus(kernel, kernel.status);
    onConnection(kernel, kernel.connectionStatus);
  }

  function whenReady() {
    const app = window.jupyterapp;
    if (!app || !app.widgetManagerPromise) {
      window.setTimeout(whenReady, 200);  // Voila sets window.jupyterapp once it has started
      return;
    }
    app.widgetManagerPromise.promise.then((manager) => {
      if (manager && manager.kernel) watch(manager.kernel);
    });
  }
  whenReady();
})();
