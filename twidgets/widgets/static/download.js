// DownloadButton: a click asks the kernel for the file (anywidget command "_on_fetch")
// and saves the answer as a Blob under the widget's file name. Nothing is held in the page
// until the user asks for it.
function render({ model, el, experimental }) {
  const button = document.createElement("button");
  button.className = "jupyter-widgets jupyter-button widget-button tw-download-button";
  const note = document.createElement("span");
  note.className = "tw-download-error";
  const sync = () => {
    button.textContent = model.get("description");
    button.disabled = !!model.get("disabled");
    note.textContent = model.get("error") ? " " + model.get("error") : "";
  };
  sync();
  model.on("change:description", sync);
  model.on("change:disabled", sync);
  model.on("change:error", sync);
  button.addEventListener("click", async () => {
    if (!experimental || !experimental.invoke) {
      note.textContent = " this Jupyter front end cannot download from the kernel";
      return;
    }
    button.disabled = true;
    try {
      const [answer, buffers] = await experimental.invoke("_on_fetch", {});
      if (!answer || !answer.ok || !buffers || !buffers.length) {
        note.textContent = " " + ((answer && answer.error) || "the kernel sent no file");
        return;
      }
      const blob = new Blob([buffers[0]], { type: answer.mime || "application/octet-stream" });
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = answer.filename || model.get("filename");
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      note.textContent = " download failed: " + ((err && err.message) || String(err));
    } finally {
      button.disabled = !!model.get("disabled");
    }
  });
  el.appendChild(button);
  el.appendChild(note);
}

export default { render };
