// The job page's memory breakdown: optimizer_memory.by_kind and the parameters that save the most,
// each as this optimizer's state against Adam's, in a table with bars.
"use strict";
const Memory = {
  /** Parameter rows shown; the rest of what the metrics listed, and by_parameter_rest, sum into one row. */
  rows: 15,

  /** Draws `memory` (a metrics response's optimizer_memory) into `container`; nothing when there is no breakdown. */
  render(container, memory) {
    if (!memory || !memory.by_kind) return;
    // the breakdown is measured once per attempt: redraw only when it changed
    const key = JSON.stringify([memory.by_kind, memory.by_parameter, memory.by_parameter_rest]);
    if (container.dataset.rendered === key) return;
    container.dataset.rendered = key;
    const el = App.el;
    // each table on its own Adam scale (its largest Adam figure spans the bar): the state is usually
    // under 1% of Adam's, so it shows as a sliver, never wider than its Adam bar
    const scale = items => Math.max(1, ...items.map(i => i.adam_equivalent_bytes));
    const bars = (state, adam, largest) => el("div", { class: "memory-bars", title: Memory.percent(state, adam) + " of Adam" },
      el("div", { class: "memory-adam", style: "width:" + (100 * adam / largest) + "%" }),
      el("div", { class: "memory-state",
        style: "width:" + Math.min(100 * adam / largest, Math.max(0.5, 100 * state / largest)) + "%" }));
    const bytes = (tag, value, name) => el(tag, { class: "num", ["data-" + name]: String(value) }, Charts.bytes(value));
    const figures = ["parameters", "state", "Adam would hold", "saved"];
    const head = names => el("thead", {}, el("tr", {}, names.map(n => el("th", figures.includes(n) ? { class: "num" } : {}, n))));

    const kindScale = scale(memory.by_kind);
    const kinds = el("table", { id: "memory-kinds", class: "memory" },
      head(["kind", "parameters", "state", "Adam would hold", "saved", "state against Adam"]),
      el("tbody", {}, memory.by_kind.filter(k => k.parameters > 0).map(k => el("tr", { "data-kind": k.kind },
        el("td", {}, k.kind.replace(/_/g, " ")),
        el("td", { class: "num" }, k.parameters),
        bytes("td", k.state_bytes, "state"),
        bytes("td", k.adam_equivalent_bytes, "adam"),
        el("td", { class: "num" }, Charts.bytes(k.adam_equivalent_bytes - k.state_bytes)),
        el("td", {}, bars(k.state_bytes, k.adam_equivalent_bytes, kindScale), " ", Memory.percent(k.state_bytes, k.adam_equivalent_bytes))))));

    const shown = memory.by_parameter.slice(0, Memory.rows);
    const hidden = memory.by_parameter.slice(Memory.rows);
    const rest = {
      parameters: memory.by_parameter_rest.parameters + hidden.length,
      state: memory.by_parameter_rest.state_bytes + hidden.reduce((s, p) => s + p.state_bytes, 0),
      adam: memory.by_parameter_rest.adam_equivalent_bytes + hidden.reduce((s, p) => s + p.adam_equivalent_bytes, 0)
    };
    const parameterScale = scale(shown);
    const parameters = el("table", { id: "memory-parameters", class: "memory" },
      head(["parameter", "shape", "second moment", "state", "Adam would hold", "state against Adam"]),
      el("tbody", {}, shown.map(p => el("tr", { "data-name": p.name },
        el("td", { class: "name", title: p.kind.replace(/_/g, " ") + " · " + p.dtype + " · " + p.device }, p.name),
        el("td", {}, "[" + p.shape.join(", ") + "]"),
        el("td", {}, p.second_moment),
        bytes("td", p.state_bytes, "state"),
        bytes("td", p.adam_equivalent_bytes, "adam"),
        el("td", {}, bars(p.state_bytes, p.adam_equivalent_bytes, parameterScale), " ", Memory.percent(p.state_bytes, p.adam_equivalent_bytes)))),
      rest.parameters > 0 ? el("tr", { id: "memory-rest", "data-parameters": String(rest.parameters) },
        el("td", { colspan: "3" }, rest.parameters + " more parameter" + (rest.parameters === 1 ? "" : "s")),
        bytes("td", rest.state, "state"),
        bytes("td", rest.adam, "adam"),
        el("td", {}, Memory.percent(rest.state, rest.adam))) : []));

    container.replaceChildren(
      el("h3", {}, "Where the optimizer memory goes"),
      el("p", { class: "memory-total" }, memory.parameter_count + " parameters: " + Charts.bytes(memory.state_bytes)
        + " of optimizer state where Adam would hold " + Charts.bytes(memory.adam_equivalent_bytes)
        + " (" + Memory.percent(memory.state_bytes, memory.adam_equivalent_bytes) + ")"),
      el("h4", {}, "By kind"), kinds,
      el("h4", {}, "Parameters that save the most"), parameters);
  },

  percent(state, adam) {
    if (!adam) return "–";
    const p = 100 * state / adam;
    return (p >= 10 ? p.toFixed(0) : p >= 0.1 ? p.toFixed(1) : p.toFixed(2)) + "%";
  }
};
