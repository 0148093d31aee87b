// The playground: chat with or complete from a model through the OpenAI-compatible endpoints,
// streamed token by token; optionally a second model answering the same prompt side by side.
"use strict";
const Playground = {
  async view(view) {
    const models = (await App.api("/v1/models")).data.filter(m => m.task === "causal-lm");
    const options = () => models.map(m => App.el("option", { value: m.id }, m.id));
    const modelA = App.el("select", { id: "pg-model" }, options());
    const modelB = App.el("select", { id: "pg-model-b" }, options());
    const compare = App.el("input", { type: "checkbox", id: "pg-compare" });
    const mode = App.el("select", { id: "pg-mode" }, App.el("option", { value: "chat" }, "chat"),
      App.el("option", { value: "complete" }, "complete"));
    const temperature = App.el("input", { id: "pg-temperature", type: "number", value: "0.7", min: "0", max: "2", step: "0.1" });
    const maxTokens = App.el("input", { id: "pg-max-tokens", type: "number", value: "64", min: "1" });
    const prompt = App.el("textarea", { id: "pg-prompt", rows: "3", placeholder: "Say something…" });
    const panes = App.el("div", { class: "panes" });
    // a fine-tuned model is compared with its base unless the user picks another
    const pickBase = () => {
      const base = models.find(m => m.id === modelA.value)?.base_model;
      if (base && models.some(m => m.id === base)) modelB.value = base;
    };
    modelA.addEventListener("change", pickBase);
    pickBase();
    let conversations = [];
    const reset = () => {
      App.streams.forEach(s => s.abort());
      conversations = [];
      panes.replaceChildren();
    };
    [modelA, modelB, compare, mode].forEach(e => e.addEventListener("change", reset));
    const send = async event => {
      event.preventDefault();
      const chosen = compare.checked ? [modelA.value, modelB.value] : [modelA.value];
      if (conversations.length !== chosen.length) {
        reset();
        conversations = chosen.map((model, i) => ({ model, messages: [], pane: Playground.pane(model, i) }));
        panes.append(...conversations.map(c => c.pane));
      }
      const text = prompt.value;
      prompt.value = "";
      const settings = { temperature: Number(temperature.value), max_tokens: Number(maxTokens.value) };
      await Promise.all(conversations.map(c => Playground.answer(c, mode.value, text, settings)));
    };
    view.append(App.el("h2", {}, "Playground"),
      App.el("form", { class: "inline", id: "playground", onsubmit: send },
        App.el("label", {}, "model", modelA), App.el("label", {}, "mode", mode),
        App.el("label", {}, "temperature", temperature), App.el("label", {}, "max tokens", maxTokens),
        App.el("label", { class: "check" }, App.el("span", {}, compare, " side by side with"), modelB),
        App.el("label", { class: "wide" }, "prompt", prompt),
        App.el("button", { type: "submit", id: "pg-send" }, "Send"),
        App.el("button", { type: "button", id: "pg-stop", onclick: () => App.streams.forEach(s => s.abort()) }, "Stop"),
        App.el("button", { type: "button", id: "pg-clear", onclick: reset }, "Clear")),
      panes);
  },

  pane(model, i) {
    return App.el("section", { class: "pane", id: "pane-" + "ab"[i] }, App.el("h3", {}, model),
      App.el("div", { class: "transcript" }));
  },

  /** Streams one answer into a conversation's pane; chat keeps the turns, complete starts afresh. */
  async answer(conversation, mode, text, settings) {
    const transcript = conversation.pane.querySelector(".transcript");
    const output = App.el("span", { class: "answer" });
    const status = App.el("div", { class: "meta" });
    const turn = App.el("div", { class: "msg assistant", "data-state": "streaming" }, output, status);
    let path, body;
    if (mode === "chat") {
      conversation.messages.push({ role: "user", content: text });
      transcript.append(App.el("div", { class: "msg user" }, text), turn);
      path = "/v1/chat/completions";
      body = { messages: conversation.messages };
    } else {
      transcript.replaceChildren(turn);
      output.before(App.el("span", { class: "prompt" }, text));
      path = "/v1/completions";
      body = { prompt: text };
    }
    let finish = null, tokens = 0;
    try {
      await Playground.stream(path, Object.assign({ model: conversation.model }, settings, body), chunk => {
        const choice = chunk.choices[0];
        if (!choice) return;
        const piece = mode === "chat" ? choice.delta.content : choice.text;
        if (piece) {
          output.append(piece);
          tokens++;
        }
        finish = choice.finish_reason || finish;
      });
      if (mode === "chat") conversation.messages.push({ role: "assistant", content: output.textContent });
      status.append(tokens + " chunks · " + (finish || "stopped"));
    } catch (e) {
      if (mode === "chat") conversation.messages.pop();
      status.append(e.name === "AbortError" ? "stopped" : App.problem(e));
    }
    turn.dataset.state = "done";
  },

  /** POSTs with stream: true and hands each Server-Sent Event's chunk to onChunk until data: [DONE]. */
  async stream(path, body, onChunk) {
    const controller = new AbortController();
    App.streams.push(controller);
    try {
      const response = await fetch(path, { method: "POST", signal: controller.signal,
        headers: { Authorization: "Bearer " + App.key, "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(Object.assign({}, body, { stream: true })) });
      if (!response.ok) throw await App.failure(response);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value.replace(/\r\n/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const data = buffer.slice(0, cut).split("\n").filter(l => l.startsWith("data:"))
            .map(l => l.slice(5).trim()).join("\n");
          buffer = buffer.slice(cut + 2);
          if (data === "[DONE]") return;
          if (!data) continue;
          const chunk = JSON.parse(data);
          // an error after the stream began arrives as an event, the way OpenAI sends it
          if (chunk.error) throw Object.assign(new Error(chunk.error.message), { problem: { detail: chunk.error.message } });
          onChunk(chunk);
        }
      }
    } finally {
      App.streams = App.streams.filter(s => s !== controller);
    }
  }
};
