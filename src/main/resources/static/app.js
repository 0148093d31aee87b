// The Sublinear dashboard: plain JavaScript over the same /v1 API and API key that clients use.
"use strict";
/**
 * The viewer's locales for dates and ages: the languages their browser asks pages for, first to last
 * (navigator.languages, which the user sets), else the browser's own locale.
 */
const LOCALES = navigator.languages && navigator.languages.length ? [...navigator.languages] : undefined;
const App = {
  key: localStorage.getItem("sublinear.key") || "",
  timers: [],
  streams: [],

  async api(path, options = {}) {
    const headers = Object.assign({ Authorization: "Bearer " + App.key }, options.headers || {});
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (!response.ok) throw await App.failure(response);
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response;
  },

  /** An Error carrying the refused response's problem+json (title, detail, param, errors). */
  async failure(response) {
    let problem = { detail: response.status + " " + response.statusText };
    try { problem = await response.json(); } catch (e) { /* not JSON */ }
    return Object.assign(new Error(problem.detail || "request failed"), { problem });
  },

  el(tag, attributes = {}, ...children) {
    const e = document.createElement(tag);
    // styles through the CSSOM: the Content-Security-Policy refuses inline style attributes
    Object.entries(attributes).forEach(([k, v]) => (k.startsWith("on") ? e.addEventListener(k.slice(2), v)
      : k === "style" ? (e.style.cssText = v) : e.setAttribute(k, v)));
    children.flat().forEach(c => e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c))));
    return e;
  },

  /**
   * A moment (epoch seconds) in the viewer's locale and time zone, with its age ("3 minutes ago"),
   * which App.ages keeps current (withAge false: none, as in the event log, where ages would crowd every
   * line); the full date and zone are in the title. Empty for none.
   */
  time(seconds, withAge = true) {
    if (!seconds) return "";
    const date = new Date(seconds * 1000);
    return App.el("time", { datetime: date.toISOString(), "data-epoch": String(seconds), title: App.fullStamp.format(date) },
      App.stamp.format(date), withAge ? [" ", App.el("span", { class: "age" }, App.age(seconds))] : []);
  },

  /** The date and time as the viewer's locale writes them, in the browser's time zone. */
  stamp: new Intl.DateTimeFormat(LOCALES, { dateStyle: "medium", timeStyle: "medium" }),
  fullStamp: new Intl.DateTimeFormat(LOCALES, { dateStyle: "full", timeStyle: "long" }),

  /** How long ago (or how far ahead) a moment is, in the viewer's language: "5 seconds ago", "in 2 hours". */
  age(seconds) {
    const diff = seconds - Date.now() / 1000, ahead = Math.abs(diff);
    const [value, unit] = ahead < 60 ? [diff, "second"] : ahead < 3600 ? [diff / 60, "minute"]
      : ahead < 86400 ? [diff / 3600, "hour"] : [diff / 86400, "day"];
    return "(" + App.relative.format(Math.round(value), unit) + ")";
  },

  relative: new Intl.RelativeTimeFormat(LOCALES, { numeric: "auto" }),

  /** Brings every shown age up to date; runs every second whatever the page (some pages stop polling). */
  ages() {
    document.querySelectorAll("time[data-epoch] .age").forEach(span => {
      const text = App.age(Number(span.parentElement.dataset.epoch));
      if (span.textContent !== text) span.textContent = text;
    });
  },

  /**
   * The statuses in which each action changes a job, as JobService takes them: cancel a queued, paused or
   * running job; pause a queued or running one; resume a paused one. Elsewhere the API refuses the action
   * (409) or, for pausing a paused job and resuming a queued or running one, accepts it and does nothing.
   */
  actions: {
    cancel: ["queued", "running", "paused"],
    pause: ["queued", "running"],
    resume: ["paused"]
  },

  /** Why an action is not offered for a job in this status; null when it is. */
  unavailable(action, status) {
    if (App.actions[action].includes(status)) return null;
    if (action === "pause" && status === "paused") return "The job is already paused";
    if (action === "resume" && (status === "queued" || status === "running")) {
      return "The job is " + status + ": only a paused job can be resumed";
    }
    return "The job has ended (" + status + "): it can no longer be " + { cancel: "cancelled", pause: "paused",
      resume: "resumed" }[action];
  },

  problem(error) {
    const p = error.problem || {};
    const lines = [(p.title ? p.title + ": " : "") + (p.detail || error.message)];
    if (p.param) lines.push("field: " + p.param);
    (p.errors || []).forEach(l => lines.push("• " + l));
    return App.el("div", { class: "problem", id: "problem" }, lines.join("\n"));
  },

  every(ms, fn) {
    fn();
    App.timers.push(setInterval(fn, ms));
  },

  clear() {
    App.timers.forEach(clearInterval);
    App.timers = [];
    App.streams.forEach(s => s.abort());
    App.streams = [];
  },

  async route() {
    App.clear();
    const view = document.getElementById("view");
    view.replaceChildren();
    if (!App.key) {
      view.append(App.el("p", {}, "Enter an API key above (the admin key printed at first start, or a tenant's key)."));
      return;
    }
    const [, page, id] = (location.hash || "#/jobs").split("/");
    try {
      await ({ jobs: id ? App.job : App.jobs, files: App.files, models: App.models, workers: App.workers,
        playground: Playground.view }[page] || App.jobs)(view, id);
    } catch (e) {
      view.append(App.problem(e));
    }
  },

  async jobs(view) {
    const filter = App.el("select", { id: "status-filter" },
      ["", "queued", "running", "paused", "succeeded", "failed", "cancelled"].map(s => App.el("option", { value: s }, s || "all statuses")));
    const files = (await App.api("/v1/files?limit=100&purpose=fine-tune")).data;
    const models = (await App.api("/v1/models")).data;
    const form = App.el("form", { class: "inline", id: "new-job" },
      App.el("label", {}, "model", App.el("select", { name: "model" }, models.map(m => App.el("option", { value: m.id }, m.id)))),
      App.el("label", {}, "training file", App.el("select", { name: "training_file" },
        files.map(f => App.el("option", { value: f.id }, f.filename + " (" + f.id + ")")))),
      App.el("label", {}, "epochs", App.el("input", { name: "n_epochs", type: "number", value: "3", min: "1" })),
      App.el("label", {}, "batch size", App.el("input", { name: "batch_size", type: "number", value: "8", min: "1" })),
      App.el("button", { type: "submit" }, "Create job"));
    const message = App.el("div");
    form.addEventListener("submit", async event => {
      event.preventDefault();
      const data = new FormData(form);
      message.replaceChildren();
      try {
        const job = await App.api("/v1/fine_tuning/jobs", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ model: data.get("model"), training_file: data.get("training_file"),
            hyperparameters: { n_epochs: Number(data.get("n_epochs")), batch_size: Number(data.get("batch_size")),
              checkpoint_interval_steps: 10, eval_interval_steps: 10 } })
        });
        location.hash = "#/jobs/" + job.id;
      } catch (e) {
        message.append(App.problem(e));
      }
    });
    const body = App.el("tbody");
    view.append(App.el("h2", {}, "Fine-tuning jobs"), form, message, App.el("p", {}, "Show ", filter),
      App.el("table", { id: "jobs" }, App.el("thead", {}, App.el("tr", {}, ["job", "model", "status", "progress", "ETA",
        "queue", "created"].map(h => App.el("th", {}, h)))), body));
    const refresh = async () => {
      const list = await App.api("/v1/fine_tuning/jobs?limit=100" + (filter.value ? "&status=" + filter.value : ""));
      body.replaceChildren(...list.data.map(j => App.el("tr", {},
        App.el("td", {}, App.el("a", { href: "#/jobs/" + j.id }, j.id)),
        App.el("td", {}, j.model),
        App.el("td", { class: "status " + j.status }, j.status),
        App.el("td", {}, App.el("div", { class: "bar", title: j.progress.percent + "%" },
          App.el("div", { style: "width:" + j.progress.percent + "%" })), " " + j.progress.step + "/" + j.progress.total_steps),
        App.el("td", {}, j.progress.eta_seconds != null ? Math.round(j.progress.eta_seconds) + " s" : ""),
        App.el("td", {}, j.queue_position != null ? "#" + (j.queue_position + 1) : ""),
        App.el("td", {}, App.time(j.created_at)))));
    };
    filter.addEventListener("change", refresh);
    App.every(2000, refresh);
  },

  async job(view, id) {
    const header = App.el("div");
    const charts = App.el("div", { class: "charts" });
    const chart = (name, title) => {
      const canvas = App.el("canvas", { id: "chart-" + name });
      charts.append(App.el("div", { class: "chart" }, App.el("h3", {}, title), canvas));
      return canvas;
    };
    const loss = chart("loss", "Loss"), step = chart("step", "Step size"), rms = chart("rms", "Update RMS (before clipping)"),
      clip = chart("clip", "Clip rate"), speed = chart("speed", "Throughput (tokens/s)"),
      memory = chart("memory", "Optimizer memory against Adam");
    // a loss that falls by orders of magnitude is flat on a linear axis: the viewer may switch (and it is remembered)
    const logScale = App.el("input", { type: "checkbox", id: "loss-log" });
    logScale.checked = localStorage.getItem("sublinear.lossScale") === "log";
    loss.previousElementSibling.append(" ", App.el("label", { class: "toggle", title: "Draw the loss on a log10 axis;"
      + " values at or below zero cannot be placed and are left out" }, logScale, "log scale"));
    let lossSeries = null;
    const drawLoss = () => lossSeries && Charts.line(loss, lossSeries, { log: logScale.checked });
    logScale.addEventListener("change", () => {
      localStorage.setItem("sublinear.lossScale", logScale.checked ? "log" : "linear");
      drawLoss();
    });
    const log = App.el("div", { id: "events" });
    const checkpoints = App.el("ul", { id: "checkpoints" });
    const controls = App.el("p", { id: "controls" });
    const breakdown = App.el("div", { id: "memory-breakdown" });
    view.append(header, controls, charts, breakdown, App.el("h3", {}, "Checkpoints"), checkpoints, App.el("h3", {}, "Events"), log);
    const act = action => async () => {
      try {
        await App.api("/v1/fine_tuning/jobs/" + id + "/" + action, { method: "POST" });
        renderJob();
      } catch (e) {
        header.append(App.problem(e));
      }
    };
    const buttons = Object.keys(App.actions).map(a => App.el("button", { id: a, onclick: act(a), disabled: "" }, a));
    controls.append(...buttons);
    const renderJob = async () => {
      const j = await App.api("/v1/fine_tuning/jobs/" + id);
      buttons.forEach(b => {
        const why = App.unavailable(b.id, j.status);
        b.disabled = why !== null;
        b.title = why || b.id + " the job";
      });
      header.replaceChildren(App.el("h2", {}, j.id, " ", App.el("span", { class: "status " + j.status, id: "job-status" }, j.status)),
        App.el("p", {}, j.model, " · ", j.task, " · step ", j.progress.step, "/", j.progress.total_steps,
          j.progress.eta_seconds != null ? " · ETA " + Math.round(j.progress.eta_seconds) + " s" : "",
          j.worker ? " · on " + j.worker + " (" + (j.devices || []).join(", ") + ")" : "",
          j.fine_tuned_model ? " · model " + j.fine_tuned_model : ""),
        App.el("p", { class: "times" }, ["created", "started", "finished"].filter(k => j[k + "_at"])
          .flatMap((k, i) => [i ? " · " : "", k + " ", App.time(j[k + "_at"])])),
        j.error ? App.el("p", { class: "error", id: "job-error" }, "Failed: " + j.error.message
          + (j.error.param ? " (" + j.error.param + ")" : "")) : "");
      return j;
    };
    const renderMetrics = async () => {
      const m = await App.api("/v1/fine_tuning/jobs/" + id + "/metrics?max_points=500");
      const series = key => m.data.map(p => [p.step, p[key]]);
      lossSeries = [{ name: "train", points: series("train_loss") }, { name: "validation", points: series("valid_loss") }];
      drawLoss();
      Charts.line(step, [{ name: "step size", points: series("learning_rate") }]);
      Charts.line(rms, [{ name: "update RMS", points: series("update_rms") }]);
      Charts.line(clip, [{ name: "clipped", points: series("clip_rate") }], { zero: true });
      Charts.line(speed, [{ name: "tokens/s", points: series("tokens_per_second") }], { zero: true });
      if (m.optimizer_memory) {
        Charts.bars(memory, [{ label: "this optimizer", value: m.optimizer_memory.state_bytes },
          { label: "Adam", value: m.optimizer_memory.adam_equivalent_bytes },
          { label: "parameters", value: m.optimizer_memory.parameter_bytes }]);
        Memory.render(breakdown, m.optimizer_memory);
      }
      const list = (await App.api("/v1/fine_tuning/jobs/" + id + "/checkpoints?limit=100")).data;
      checkpoints.replaceChildren(...list.map(c => App.el("li", {}, App.el("a", { href: "#", onclick: async event => {
        event.preventDefault();
        const response = await App.api("/v1/fine_tuning/jobs/" + id + "/checkpoints/" + c.id + "/content");
        const url = URL.createObjectURL(await response.blob());
        App.el("a", { href: url, download: id + "-" + c.name + ".zip" }).click();
      } }, c.name), " step " + c.step_number + ", " + Charts.bytes(c.bytes))));
    };
    App.every(1500, async () => {
      const j = await renderJob();
      await renderMetrics();
      if (["succeeded", "failed", "cancelled"].includes(j.status)) App.timers.forEach(clearInterval);
    });
    App.follow(id, log);
  },

  /** The job's events as they happen: Server-Sent Events read with fetch, so the key travels in a header. */
  async follow(id, log) {
    const controller = new AbortController();
    App.streams.push(controller);
    try {
      const response = await fetch("/v1/fine_tuning/jobs/" + id + "/events",
        { headers: { Authorization: "Bearer " + App.key, Accept: "text/event-stream" }, signal: controller.signal });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block.split("\n").filter(l => l.startsWith("data:")).map(l => l.slice(5)).join("\n");
          if (!data) continue;
          const e = JSON.parse(data);
          // step figures (type metrics) are drawn by the charts; the log shows what happened
          if (e.type === "metrics") continue;
          const kind = e.data && e.data.kind ? " " + e.data.kind + ":" : "";
          log.append(...(e.message ? [App.time(e.created_at, false), " [" + e.level + "]" + kind + " " + e.message]
            : ["— stream ended: " + e.status]), "\n");
          log.scrollTop = log.scrollHeight;
        }
      }
    } catch (e) {
      if (e.name !== "AbortError") log.append("event stream interrupted: " + e.message + "\n");
    }
  },

  async files(view) {
    const input = App.el("input", { type: "file", id: "upload-file" });
    const purpose = App.el("select", { id: "upload-purpose" }, App.el("option", { value: "fine-tune" }, "fine-tune"),
      App.el("option", { value: "model" }, "model"));
    const message = App.el("div", { id: "upload-result" });
    const body = App.el("tbody");
    const upload = async event => {
      event.preventDefault();
      message.replaceChildren();
      const form = new FormData();
      form.append("purpose", purpose.value);
      form.append("file", input.files[0]);
      try {
        const f = await App.api("/v1/files", { method: "POST", body: form });
        message.append(App.el("p", {}, "Uploaded " + f.filename + " as " + f.id + " (" + f.tasks.join(", ") + ")"));
        refresh();
      } catch (e) {
        message.append(App.problem(e));
      }
    };
    view.append(App.el("h2", {}, "Files"), App.el("form", { class: "inline", id: "upload", onsubmit: upload },
      input, purpose, App.el("button", { type: "submit" }, "Upload")), message,
      App.el("table", { id: "files" }, App.el("thead", {}, App.el("tr", {}, ["file", "name", "purpose", "tasks", "bytes",
        "created"].map(h => App.el("th", {}, h)))), body));
    const refresh = async () => {
      const list = await App.api("/v1/files?limit=100");
      body.replaceChildren(...list.data.map(f => App.el("tr", {}, App.el("td", {}, f.id), App.el("td", {}, f.filename),
        App.el("td", {}, f.purpose), App.el("td", {}, f.tasks.join(", ")), App.el("td", {}, Charts.bytes(f.bytes)),
        App.el("td", {}, App.time(f.created_at)))));
    };
    await refresh();
  },

  async models(view) {
    const list = await App.api("/v1/models");
    view.append(App.el("h2", {}, "Models"), App.el("table", { id: "models" },
      App.el("thead", {}, App.el("tr", {}, ["model", "task", "owner", "base", "job", "created"].map(h => App.el("th", {}, h)))),
      App.el("tbody", {}, list.data.map(m => App.el("tr", {}, App.el("td", {}, m.id), App.el("td", {}, m.task),
        App.el("td", {}, m.owned_by), App.el("td", {}, m.base_model || ""),
        App.el("td", {}, m.fine_tuning_job_id ? App.el("a", { href: "#/jobs/" + m.fine_tuning_job_id }, m.fine_tuning_job_id) : ""),
        App.el("td", {}, App.time(m.created)))))));
  },

  async workers(view) {
    const body = App.el("tbody");
    view.append(App.el("h2", {}, "Workers"), App.el("table", { id: "workers" }, App.el("thead", {}, App.el("tr", {},
      ["worker", "host", "status", "devices", "running", "last heartbeat"].map(h => App.el("th", {}, h)))), body));
    App.every(2000, async () => {
      const list = await App.api("/v1/workers");
      body.replaceChildren(...list.data.map(w => App.el("tr", {}, App.el("td", {}, w.id), App.el("td", {}, w.host),
        App.el("td", { class: "status" }, w.status),
        App.el("td", {}, w.devices.map(d => d.name + " " + d.used + "/" + d.total).join(", ")),
        App.el("td", {}, w.running_jobs.map(j => App.el("a", { href: "#/jobs/" + j }, j + " "))),
        App.el("td", {}, App.time(w.last_heartbeat)))));
    });
  }
};

document.getElementById("key-form").addEventListener("submit", event => {
  event.preventDefault();
  App.key = document.getElementById("api-key").value.trim();
  localStorage.setItem("sublinear.key", App.key);
  App.route();
});
window.addEventListener("hashchange", App.route);
setInterval(App.ages, 1000);
App.route();
