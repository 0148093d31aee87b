// A small line chart on a canvas: no library, nothing fetched. Series are arrays of [x, y].
"use strict";
const Charts = {
  colors: ["#3b7ddd", "#d9822b", "#1e7b34", "#b3261e"],

  /**
   * Draws the series. options.zero starts a linear axis at 0; options.log draws y on a log10 axis,
   * where values at or below zero cannot be placed: they are left out and counted on the chart.
   * The canvas says what it drew in data attributes (points, scale, y-ticks, hidden), for people
   * with a DOM inspector and for tests.
   */
  line(canvas, series, options = {}) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 360, height = canvas.clientHeight || 200;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, height);
    const finite = p => p[1] !== null && isFinite(p[1]);
    const drawable = p => finite(p) && (!options.log || p[1] > 0);
    const all = series.flatMap(s => s.points.filter(finite));
    const points = all.filter(drawable);
    canvas.dataset.points = String(points.length);
    canvas.dataset.scale = options.log ? "log" : "linear";
    canvas.dataset.hidden = String(all.length - points.length);
    if (points.length === 0) {
      canvas.dataset.yTicks = "";
      g.fillStyle = "#888";
      g.fillText(all.length ? "no positive values to draw on a log scale" : "no data yet", 10, 20);
      return;
    }
    const pad = { left: 48, right: 10, top: 10, bottom: 22 };
    let xMin = Math.min(...points.map(p => p[0])), xMax = Math.max(...points.map(p => p[0]));
    if (xMax === xMin) xMax = xMin + 1;
    const ys = points.map(p => p[1]);
    const axis = options.log ? Charts.logAxis(Math.min(...ys), Math.max(...ys))
      : Charts.linearAxis(options.zero ? Math.min(0, ...ys) : Math.min(...ys), Math.max(...ys));
    canvas.dataset.yTicks = axis.ticks.map(axis.label).join(",");
    const x = v => pad.left + (v - xMin) / (xMax - xMin) * (width - pad.left - pad.right);
    const y = v => height - pad.bottom - (axis.at(v) - axis.at(axis.min)) / (axis.at(axis.max) - axis.at(axis.min))
      * (height - pad.top - pad.bottom);
    g.font = "11px sans-serif";
    axis.ticks.forEach(t => {
      g.strokeStyle = "#eef0f4";
      g.beginPath();
      g.moveTo(pad.left, y(t));
      g.lineTo(width - pad.right, y(t));
      g.stroke();
      g.fillStyle = "#555";
      g.fillText(axis.label(t), 2, y(t) + 4);
    });
    g.strokeStyle = "#ccd";
    g.beginPath();
    g.moveTo(pad.left, pad.top);
    g.lineTo(pad.left, height - pad.bottom);
    g.lineTo(width - pad.right, height - pad.bottom);
    g.stroke();
    g.fillStyle = "#555";
    g.fillText(String(xMin), pad.left, height - 6);
    g.fillText(String(xMax), width - pad.right - 30, height - 6);
    if (all.length > points.length) {
      g.fillText((all.length - points.length) + " value(s) ≤ 0 not drawn", width - pad.right - 150, pad.top + 24);
    }
    series.forEach((s, i) => {
      g.strokeStyle = g.fillStyle = Charts.colors[i % Charts.colors.length];
      g.beginPath();
      // a value the axis cannot place breaks the line rather than joining its neighbours across it
      let drawing = false;
      s.points.filter(finite).forEach(p => {
        if (!drawable(p)) { drawing = false; return; }
        drawing ? g.lineTo(x(p[0]), y(p[1])) : g.moveTo(x(p[0]), y(p[1]));
        drawing = true;
      });
      g.stroke();
      const pts = s.points.filter(drawable);
      if (pts.length < 40) pts.forEach(p => g.fillRect(x(p[0]) - 1.5, y(p[1]) - 1.5, 3, 3));
      g.fillText(s.name, pad.left + 8 + i * 110, pad.top + 10);
    });
  },

  /** A linear axis over [lo, hi] in round steps (1, 2 or 5 times a power of ten), about five ticks. */
  linearAxis(lo, hi) {
    if (hi === lo) { lo -= Math.abs(lo) / 2 || 0.5; hi += Math.abs(hi) / 2 || 0.5; }
    const raw = (hi - lo) / 4, magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(m => m * magnitude).find(s => s >= raw);
    const min = Math.floor(lo / step) * step, max = Math.ceil(hi / step) * step;
    const ticks = [];
    // rounded to the step's digits: 0.1 + 0.2 is not 0.3 in floating point
    const digits = Math.max(0, -Math.floor(Math.log10(step)));
    for (let t = min; t <= max + step / 2; t += step) ticks.push(Number(t.toFixed(digits)));
    return { min, max, ticks, at: v => v, label: v => Charts.tick(v, step) };
  },

  /**
   * A log10 axis from the decade at or below lo to the one at or above hi. Ticks are the powers of
   * ten (every second or third one when there are many); within a decade or two, 2 and 5 times them too.
   */
  logAxis(lo, hi) {
    const low = Math.floor(Math.log10(lo));
    const every = Math.ceil((Math.ceil(Math.log10(hi)) - low) / 8) || 1;
    // the top decade rounded up to a labelled one, so the last two labels are never crowded
    const high = low + Math.max(1, Math.ceil((Math.ceil(Math.log10(hi)) - low) / every) * every);
    const decades = high - low;
    const ticks = [];
    for (let e = low; e <= high; e++) {
      if ((e - low) % every === 0) ticks.push(Number("1e" + e));
      if (decades <= 2 && e < high) ticks.push(Number("2e" + e), Number("5e" + e));
    }
    ticks.sort((a, b) => a - b);
    return { min: Number("1e" + low), max: Number("1e" + high), ticks, at: Math.log10, label: v => Charts.tick(v) };
  },

  /**
   * A tick label, short and exact for round values ("0.001", "20", "1e-5", "2e6"); with the axis's step,
   * as many digits as tell neighbouring ticks apart ("1.975e-3" beside "1.98e-3").
   */
  tick(v, step) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    const digits = step ? Math.max(1, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step)) + 1) : 3;
    if (a >= 1e4 || a < 1e-3) {
      const [m, e] = v.toExponential().split("e");
      return Number(Number(m).toPrecision(digits)) + "e" + Number(e);
    }
    return String(Number(v.toPrecision(Math.max(digits, 1))));
  },

  bars(canvas, bars) {
    Charts.line(canvas, []);
    const ratio = window.devicePixelRatio || 1;
    const g = canvas.getContext("2d");
    const width = canvas.width / ratio, height = canvas.height / ratio;
    g.clearRect(0, 0, width, height);
    const max = Math.max(...bars.map(b => b.value), 1);
    canvas.dataset.points = String(bars.length);
    bars.forEach((b, i) => {
      const w = (width - 220) * b.value / max, top = 20 + i * 40;
      g.fillStyle = Charts.colors[i % Charts.colors.length];
      g.fillRect(130, top, Math.max(w, 1), 24);
      g.fillStyle = "#333";
      g.font = "12px sans-serif";
      g.fillText(b.label, 4, top + 16);
      g.fillText(Charts.bytes(b.value), 136 + Math.max(w, 1), top + 16);
    });
  },
  bytes(v) {
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return v.toFixed(i ? 1 : 0) + " " + units[i];
  }
};
