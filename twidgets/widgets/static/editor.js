// SystemEditor front end (twidgets). Plain ES module: no imports, nothing fetched.
//
// Draws the detectors and trigger-stage tables from the synced traits (columns,
// column_labels, column_kinds, detectors, stages, year, errors, choices, status,
// not_saved) and sends what the user does as anywidget commands (experimental.invoke):
// _on_edit (on `change`: Enter or blur), _on_add_row, _on_delete_row, _on_revert,
// _on_upload (file bytes in the buffers) and _on_download (answered with the .xlsx bytes).
// Validation is done in Python by the model; this file only shows its verdict.
// An edit the kernel does not confirm (no answer, or an error) stays in its cell, marked,
// with a message and a Retry button: nothing typed is dropped without a word.

const TABLES = [
  ["detectors", "Detectors", "table tw-detectors", "+ Add detector"],
  ["stages", "Trigger stages", "table tw-stages", "+ Add stage"],
];
const CUSTOM = "__custom__";

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function option(select, value, label) {
  const opt = make("option", "", label === undefined ? value : label);
  opt.value = value;
  select.appendChild(opt);
  return opt;
}

function errorText(err) {
  if (err.text) return err.text;
  const where = err.source || err.where;
  return (where ? where + ": " : "") + err.message;
}

function render({ model, el, experimental }) {
  el.classList.add("twidgets-editor");
  const root = make("div", "tw-editor-root");

  // toolbar: year, upload, download, status
  const bar = make("div", "tw-toolbar");
  const yearLabel = make("label", "tw-year-label", "Technology year ");
  const yearCell = make("span", "tw-year-cell");
  const year = make("input", "tw-year");
  year.type = "text";
  year.setAttribute("inputmode", "numeric");
  year.setAttribute("aria-label", "Technology year (Global sheet)");
  yearCell.appendChild(year);
  yearLabel.appendChild(yearCell);
  const uploadLabel = make("label", "tw-upload-label", "Load .xlsx ");
  const upload = make("input", "tw-upload");
  upload.type = "file";
  upload.accept = ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  uploadLabel.appendChild(upload);
  const download = make("button", "tw-download", "Download .xlsx");
  download.type = "button";
  const revert = make("button", "tw-revert", "Revert pending edits");
  revert.type = "button";
  revert.title = "Drop the invalid edits and show the last valid system again";
  revert.hidden = true;
  const notSaved = make("span", "tw-not-saved");
  notSaved.hidden = true;
  const status = make("span", "tw-editor-status");
  status.setAttribute("role", "status");
  bar.append(yearLabel, uploadLabel, download, notSaved, revert, status);

  const summary = make("div", "tw-errors");
  summary.setAttribute("aria-live", "polite");
  // edits typed here that the kernel has not confirmed: key -> {table, row, column, value, why}
  const unsent = new Map();
  const unsentNote = make("div", "tw-unsent-note");
  unsentNote.setAttribute("role", "alert");
  unsentNote.hidden = true;

  const tables = {};
  const controls = new Map(); // data-key -> focusable control, rebuilt on every redraw
  root.append(bar, unsentNote, summary);
  for (const [key, title, className] of TABLES) {
    const section = make("section", "tw-section");
    section.appendChild(make("h4", "tw-title", title));
    const scroll = make("div", "tw-scroll");
    const table = make("table", className);
    table.dataset.table = key;
    scroll.appendChild(table);
    section.appendChild(scroll);
    root.appendChild(section);
    tables[key] = table;
  }
  el.appendChild(root);

  // One command to Python; resolves to [answer, buffers]. Rejects when no answer comes in
  // time (kernel busy, disconnected or dead) or the command could not run at all
  // (answer.applied false). An invalid value is applied to the draft: answered, not rejected.
  const answerMs = () => 1000 * (model.get("answer_timeout") || 60);

  async function call(name, msg, { buffers = [], timeout = answerMs() } = {}) {
    if (!experimental || !experimental.invoke) throw new Error("this Jupyter front end cannot send commands");
    const [answer, out] = await experimental.invoke(name, msg, { buffers, signal: AbortSignal.timeout(timeout) });
    if (!answer || !answer.applied) throw new Error((answer && answer.error) || "the kernel could not apply it");
    return [answer, out];
  }

  function reason(err) {
    if (err && (err.name === "TimeoutError" || err.name === "AbortError")) {
      return "no answer from the kernel (it may be busy, disconnected or dead)";
    }
    return (err && err.message) || String(err);
  }

  // Run a command; a failure is said in the status line. Returns the answer or null.
  async function run(name, msg, what, options) {
    try {
      return await call(name, msg, options);
    } catch (err) {
      status.textContent = `${what} failed: ${reason(err)}`;
      status.classList.add("tw-failed");
      return null;
    }
  }

  // An edit not confirmed within answer_timeout is marked "not applied" in its cell; the
  // answer is still awaited (ten times as long) and, if it comes, clears the mark. Only the
  // newest edit of a cell decides its mark (a late answer to an older one changes nothing).
  const latest = new Map(); // cell key -> token of its newest edit
  let tokens = 0;
  async function sendEdit(table, row, column, value) {
    const key = `${table}\u0000${row}\u0000${column}`;
    const token = ++tokens;
    latest.set(key, token);
    const newest = () => latest.get(key) === token;
    const mark = (why) => unsent.set(key, { table, row, column, value, why });
    status.classList.remove("tw-failed");
    if (unsent.has(key)) mark(unsent.get(key).why); // the newest text is what Retry sends
    const timer = setTimeout(() => {
      if (!newest()) return;
      mark("no answer from the kernel yet (it may be busy, disconnected or dead)");
      redraw();
    }, answerMs());
    try {
      await call("_on_edit", { table, row, column, value }, { timeout: 10 * answerMs() });
      if (newest()) unsent.delete(key);
    } catch (err) {
      if (newest()) mark(reason(err));
    } finally {
      clearTimeout(timer);
    }
    if (newest()) redraw();
  }

  async function retryUnsent() {
    const edits = [...unsent.values()];
    for (const e of edits) await sendEdit(e.table, e.row, e.column, e.value);
  }

  // ---------------------------------------------------------------- cells
  function optionsFor(kind, column, table, rowName, help) {
    const choices = model.get("choices") || {};
    if (kind === "ref") {
      const stages = (choices.stages || []).filter((s) => !(table === "stages" && s === rowName));
      return table === "stages" ? [["", "(sink)"]].concat(stages.map((s) => [s, s])) : stages.map((s) => [s, s]);
    }
    if (kind === "classifier") return (choices.classifiers || []).map((s) => [s, s]);
    if (kind === "calibration") {
      const blank = `(${(help && help.placeholder) || "default"})`; // what an empty cell means
      return [["", blank]].concat((choices.calibrations || []).map((s) => [s, s]));
    }
    if (kind === "complexity") {
      return (choices.complexities || []).map((s) => [s, s === "" ? "(identity)" : s]);
    }
    return null;
  }

  // Enter commits and moves down a row (Shift+Enter: up), as in a spreadsheet; Escape reverts.
  function onKey(ev, input, table, index, column) {
    if (ev.key === "Escape") {
      input.value = input.dataset.value;
      input.blur();
      return;
    }
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const next = controls.get(`${table}\u0000${index + (ev.shiftKey ? -1 : 1)}\u0000${column}`);
    if (next && !next.hidden) {
      next.focus();
      if (next.select) next.select(); // typing replaces the value, as in a spreadsheet
    } else input.blur();
  }

  function makeControl(table, index, column, kind, value, rowName, help) {
    const key = `${table}\u0000${index}\u0000${column}`;
    const options = optionsFor(kind, column, table, rowName, help);
    if (!options) {
      const input = make("input", "tw-input");
      input.type = "text";
      input.value = value;
      input.spellcheck = false;
      input.dataset.key = key;
      input.dataset.value = value;
      controls.set(key, input);
      input.setAttribute("aria-label", `${column} of ${rowName || "row " + (index + 1)}`);
      if (kind === "number" || kind === "int") input.setAttribute("inputmode", "decimal");
      if (help && help.placeholder) input.placeholder = help.placeholder;
      input.addEventListener("change", () => sendEdit(table, index, column, input.value));
      input.addEventListener("keydown", (ev) => onKey(ev, input, table, index, column));
      return [input];
    }
    const select = make("select", "tw-select");
    select.dataset.key = key;
    controls.set(key, select);
    select.setAttribute("aria-label", `${column} of ${rowName || "row " + (index + 1)}`);
    let found = false;
    for (const [v, label] of options) {
      option(select, v, label);
      if (v === value) found = true;
    }
    if (!found) option(select, value, kind === "complexity" ? value : `${value} (unknown)`);
    const parts = [select];
    let custom = null;
    if (kind === "complexity") {
      option(select, CUSTOM, "custom poly:…");
      custom = make("input", "tw-input tw-custom");
      custom.type = "text";
      custom.spellcheck = false;
      custom.placeholder = "poly:c1,c2,c3";
      custom.value = found ? "" : value;
      custom.dataset.key = key + "\u0000custom";
      custom.dataset.value = custom.value;
      controls.set(custom.dataset.key, custom);
      custom.hidden = found;
      custom.setAttribute("aria-label", `custom complexity of ${rowName || "row " + (index + 1)}`);
      custom.addEventListener("change", () => sendEdit(table, index, column, custom.value));
      custom.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") custom.blur();
        if (ev.key === "Escape") {
          custom.value = custom.dataset.value;
          custom.blur();
        }
      });
      parts.push(custom);
    }
    select.value = value;
    select.addEventListener("change", () => {
      if (select.value === CUSTOM) {
        custom.hidden = false;
        if (!custom.value) custom.value = "poly:";
        custom.focus();
        return;
      }
      sendEdit(table, index, column, select.value);
    });
    return parts;
  }

  function errorsByCell() {
    const cells = new Map();
    const rows = new Map();
    for (const err of model.get("errors") || []) {
      if (!err.table || err.index === null || err.index === undefined) continue;
      if (err.column) {
        const key = `${err.table}\u0000${err.index}\u0000${err.column}`;
        if (!cells.has(key)) cells.set(key, []);
        cells.get(key).push(err.message);
      } else {
        rows.set(`${err.table}\u0000${err.index}`, err.message);
      }
    }
    return [cells, rows];
  }

  function drawTable(key, label, addLabel, cellErrors, rowErrors) {
    const table = tables[key];
    const columns = (model.get("columns") || {})[key] || [];
    const kinds = (model.get("column_kinds") || {})[key] || {};
    const help = (model.get("column_help") || {})[key] || {};
    const labels = (model.get("column_labels") || {})[key] || {};
    const rows = model.get(key) || [];
    const nameColumn = columns.find((c) => kinds[c] === "name");
    table.replaceChildren();

    const head = make("thead");
    const hr = make("tr");
    hr.appendChild(make("th", "tw-rownum", "#"));
    for (const c of columns) {
      const th = make("th", "", labels[c] || c);
      th.dataset.column = c;
      const title = help[c] && help[c].title ? help[c].title : c;
      th.title = labels[c] && labels[c] !== c ? `${title} (workbook column "${c}")` : title;
      hr.appendChild(th);
    }
    hr.appendChild(make("th", "tw-actions", ""));
    head.appendChild(hr);

    const body = make("tbody");
    rows.forEach((row, index) => {
      const tr = make("tr", "tw-row");
      const rowName = nameColumn ? row[nameColumn] : "";
      tr.dataset.name = rowName;
      tr.dataset.index = String(index);
      const rowError = rowErrors.get(`${key}\u0000${index}`);
      if (rowError) {
        tr.classList.add("tw-invalid-row");
        tr.title = rowError;
      }
      tr.appendChild(make("td", "tw-rownum", String(index + 1)));
      for (const c of columns) {
        const td = make("td");
        td.dataset.column = c;
        const shown = row[c] === undefined || row[c] === null ? "" : String(row[c]);
        const pending = unsent.get(`${key}\u0000${index}\u0000${c}`);
        if (pending && pending.value === shown) unsent.delete(`${key}\u0000${index}\u0000${c}`); // it did land
        const stillUnsent = unsent.get(`${key}\u0000${index}\u0000${c}`);
        const value = stillUnsent ? String(stillUnsent.value) : shown;
        const made = makeControl(key, index, c, kinds[c] || "extra", value, rowName, help[c]);
        if (kinds[c] === "name") {
          // the name column is as wide as its longest name: a hidden copy of the text sizes the
          // cell (table layout does the measuring) and the input fills it, growing as one types
          td.classList.add("tw-name-cell");
          const sizer = make("span", "tw-sizer", value);
          sizer.setAttribute("aria-hidden", "true");
          made[0].size = 1; // no intrinsic width of its own: the sizer decides
          made[0].addEventListener("input", () => (sizer.textContent = made[0].value));
          td.append(sizer);
        }
        td.append(...made);
        if (stillUnsent) {
          td.classList.add("tw-unsent");
          td.title = `not applied: ${stillUnsent.why}`;
        }
        const messages = cellErrors.get(`${key}\u0000${index}\u0000${c}`);
        if (messages) {
          td.classList.add("tw-invalid");
          const note = make("div", "tw-error", messages.join("; "));
          note.setAttribute("role", "alert");
          td.appendChild(note);
        }
        tr.appendChild(td);
      }
      const actions = make("td", "tw-actions");
      const del = make("button", "tw-delete-row", "\u00d7");
      del.type = "button";
      del.title = `Delete ${rowName || "this row"}`;
      del.setAttribute("aria-label", del.title);
      del.addEventListener("click", () => run("_on_delete_row", { table: key, row: index }, `deleting ${rowName}`));
      actions.appendChild(del);
      tr.appendChild(actions);
      body.appendChild(tr);
    });

    const foot = make("tfoot");
    const fr = make("tr");
    const ftd = make("td");
    ftd.colSpan = columns.length + 2;
    const add = make("button", "tw-add-row", addLabel);
    add.type = "button";
    add.dataset.table = key;
    add.addEventListener("click", () => run("_on_add_row", { table: key }, addLabel.replace("+ ", "")));
    ftd.appendChild(add);
    fr.appendChild(ftd);
    foot.appendChild(fr);

    table.append(head, body, foot);
  }

  function drawYear(cellErrors) {
    const shown = model.get("year") || "";
    const pending = unsent.get("global\u00000\u0000Year");
    if (pending && String(pending.value) === shown) unsent.delete("global\u00000\u0000Year");
    const stillUnsent = unsent.get("global\u00000\u0000Year");
    year.value = stillUnsent ? String(stillUnsent.value) : shown;
    yearCell.classList.toggle("tw-unsent", !!stillUnsent);
    year.dataset.value = shown;
    year.dataset.key = "global\u00000\u0000Year";
    yearCell.querySelectorAll(".tw-error").forEach((n) => n.remove());
    const messages = cellErrors.get("global\u00000\u0000Year");
    yearCell.classList.toggle("tw-invalid", !!messages);
    if (messages) yearCell.appendChild(make("span", "tw-error", messages.join("; ")));
  }

  function drawUnsent() {
    unsentNote.replaceChildren();
    unsentNote.hidden = unsent.size === 0;
    if (!unsent.size) return;
    const items = [...unsent.values()];
    const labels = model.get("column_labels") || {};
    const text = items.map((e) => `${(labels[e.table] || {})[e.column] || e.column} = "${e.value}"`).join(", ");
    unsentNote.appendChild(
      make(
        "span",
        "",
        `${items.length} edit${items.length === 1 ? "" : "s"} not applied (${text}): ${items[0].why}. ` +
          "They are kept here. ",
      ),
    );
    const retry = make("button", "tw-retry", "Retry");
    retry.type = "button";
    retry.addEventListener("click", retryUnsent);
    unsentNote.appendChild(retry);
  }

  function drawNotSaved() {
    const lost = model.get("not_saved") || [];
    notSaved.hidden = lost.length === 0;
    notSaved.textContent = lost.length ? `Download will not keep: ${lost.join("; ")}` : "";
  }

  function drawSummary() {
    const errors = model.get("errors") || [];
    summary.replaceChildren();
    summary.classList.toggle("tw-has-errors", errors.length > 0);
    revert.hidden = !errors.some((e) => !e.source);
    if (!errors.length) return;
    const list = make("ul");
    for (const err of errors) {
      const item = make("li", "", errorText(err));
      if (err.table && err.column && err.index !== null && err.index !== undefined) {
        item.classList.add("tw-jump");
        item.title = "Go to the cell";
        item.addEventListener("click", () => {
          const target = controls.get(`${err.table}\u0000${err.index}\u0000${err.column}`);
          if (target) target.focus();
        });
      }
      list.appendChild(item);
    }
    summary.appendChild(list);
  }

  // Redraw everything, keeping the focused cell and any text typed but not yet committed.
  function redraw() {
    const active = root.contains(document.activeElement) ? document.activeElement : null;
    let keep = null;
    if (active && active.dataset && active.dataset.key && active.tagName === "INPUT") {
      keep = {
        key: active.dataset.key,
        value: active.value,
        typed: active.value !== active.dataset.value,
        start: active.selectionStart,
        end: active.selectionEnd,
      };
    } else if (active && active.dataset && active.dataset.key) {
      keep = { key: active.dataset.key };
    }
    const [cellErrors, rowErrors] = errorsByCell();
    controls.clear();
    controls.set("global\u00000\u0000Year", year);
    for (const [key, label, , addLabel] of TABLES) drawTable(key, label, addLabel, cellErrors, rowErrors);
    drawYear(cellErrors);
    drawSummary();
    drawUnsent();
    drawNotSaved();
    status.textContent = model.get("status") || "";
    status.classList.remove("tw-failed");
    if (keep) {
      const target = controls.get(keep.key);
      if (target) {
        if (keep.typed) {
          target.value = keep.value;
          target.hidden = false;
        }
        target.focus();
        if (keep.start !== undefined && keep.start !== null && target.setSelectionRange) {
          try {
            target.setSelectionRange(keep.start, keep.end);
          } catch (e) {
            /* not a text input */
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- toolbar
  year.addEventListener("change", () => sendEdit("global", 0, "Year", year.value));
  year.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") year.blur();
  });

  upload.addEventListener("change", async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    const limit = model.get("max_upload_bytes");
    status.textContent = `reading ${file.name}…`;
    status.classList.remove("tw-failed");
    // over the limit: no bytes sent, Python answers with the message
    const buffers = limit && file.size > limit ? [] : [await file.arrayBuffer()];
    upload.value = "";
    await run("_on_upload", { name: file.name, size: file.size }, `loading ${file.name}`, {
      buffers,
      timeout: 3 * answerMs(),
    });
  });

  download.addEventListener("click", async () => {
    status.classList.remove("tw-failed");
    const result = await run("_on_download", {}, "download", { timeout: 3 * answerMs() });
    if (result && result[0].ok) save(result[0], result[1]);
  });
  revert.addEventListener("click", () => {
    unsent.clear();
    run("_on_revert", {}, "revert");
  });

  function save(answer, buffers) {
    if (!buffers || !buffers.length) return;
    const blob = new Blob([buffers[0]], {
      type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    });
    const url = URL.createObjectURL(blob);
    const a = make("a");
    a.href = url;
    a.download = answer.name || "system.xlsx";
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  const traits = [
    "columns",
    "column_labels",
    "column_kinds",
    "column_help",
    "detectors",
    "stages",
    "year",
    "errors",
    "choices",
    "status",
    "not_saved",
  ];
  let pending = false;
  function schedule() {
    // traits of one update arrive together; draw once
    if (pending) return;
    pending = true;
    queueMicrotask(() => {
      pending = false;
      redraw();
    });
  }
  for (const t of traits) model.on(`change:${t}`, schedule);
  redraw();

  return () => {
    for (const t of traits) model.off(`change:${t}`, schedule);
  };
}

export default { render };
