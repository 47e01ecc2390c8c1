// ShareBar: "Copy link" (the page's address with the dashboard's query string) and
// "Export view" (a self-contained HTML file the kernel builds, saved by the browser).
function pageBase(model) {
  const base = model.get("base_url");
  if (base) return base;
  return window.location.origin + window.location.pathname;
}

function render({ model, el }) {
  el.classList.add("tw-share");
  const copy = document.createElement("button");
  copy.className = "jupyter-button tw-copy-link";
  copy.textContent = "Copy link";
  const text = document.createElement("input");
  text.className = "tw-link-text";
  text.readOnly = true;
  text.size = 40;
  const exp = document.createElement("button");
  exp.className = "jupyter-button tw-export-view";
  exp.textContent = "Export view";
  const note = document.createElement("span");
  note.className = "tw-share-note";

  const link = () => pageBase(model) + "?" + model.get("query");
  const show = () => { text.value = link(); };
  show();
  model.on("change:query", show);
  model.on("change:base_url", show);

  copy.addEventListener("click", async () => {
    show();
    try {
      await navigator.clipboard.writeText(text.value);
      note.textContent = "link copied";
    } catch (err) {
      text.focus();
      text.select();
      note.textContent = "select the link and copy it (the browser refused the clipboard)";
    }
  });
  exp.addEventListener("click", () => {
    note.textContent = "building the export...";
    model.send({ type: "export" });
  });
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.type !== "export" || !buffers || !buffers.length) return;
    const blob = new Blob([buffers[0]], { type: "text/html" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.name || "twidgets-view.html";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    note.textContent = `saved ${a.download}`;
  });
  el.append(copy, text, exp, note);
}

export default { render };
