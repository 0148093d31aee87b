// A small line chart on a canvas: no library, nothing fetched. Series are arrays of [x, y].
"use strict";
const Charts = {
  colors: ["#3b7ddd", "#d9822b", "#1e7b34", "#b3261e"],
  line(canvas, series, options = {}) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 360, height = canvas.clientHeight || 200;
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    const g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    g.clearRect(0, 0, width, height);
    const points = series.flatMap(s => s.points.filter(p => p[1] !== null && isFinite(p[1])));
    canvas.dataset.points = String(points.length);
    if (points.length === 0) {
      g.fillStyle = "#888";
      g.fillText("no data yet", 10, 20);
      return;
    }
    const pad = { left: 48, right: 10, top: 10, bottom: 22 };
    let xMin = Math.min(...points.map(p => p[0])), xMax = Math.max(...points.map(p => p[0]));
    let yMin = options.zero ? 0 : Math.min(...points.map(p => p[1])), yMax = Math.max(...points.map(p => p[1]));
    if (xMax === xMin) xMax = xMin + 1;
    if (yMax === yMin) yMax = yMin + 1;
    const x = v => pad.left + (v - xMin) / (xMax - xMin) * (width - pad.left - pad.right);
    const y = v => height - pad.bottom - (v - yMin) / (yMax - yMin) * (height - pad.top - pad.bottom);
    g.strokeStyle = "#ccd";
    g.beginPath();
    g.moveTo(pad.left, pad.top);
    g.lineTo(pad.left, height - pad.bottom);
    g.lineTo(width - pad.right, height - pad.bottom);
    g.stroke();
    g.fillStyle = "#555";
    g.font = "11px sans-serif";
    g.fillText(Charts.format(yMax), 2, pad.top + 8);
    g.fillText(Charts.format(yMin), 2, height - pad.bottom);
    g.fillText(String(xMin), pad.left, height - 6);
    g.fillText(String(xMax), width - pad.right - 30, height - 6);
    series.forEach((s, i) => {
      const pts = s.points.filter(p => p[1] !== null && isFinite(p[1]));
      g.strokeStyle = g.fillStyle = Charts.colors[i % Charts.colors.length];
      g.beginPath();
      pts.forEach((p, k) => (k === 0 ? g.moveTo(x(p[0]), y(p[1])) : g.lineTo(x(p[0]), y(p[1]))));
      g.stroke();
      if (pts.length < 40) pts.forEach(p => g.fillRect(x(p[0]) - 1.5, y(p[1]) - 1.5, 3, 3));
      g.fillText(s.name, pad.left + 8 + i * 110, pad.top + 10);
    });
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
  format(v) {
    return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(2) : v.toFixed(3);
  },
  bytes(v) {
    const units = ["B", "KiB", "MiB", "GiB"];
    let i = 0;
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return v.toFixed(i ? 1 : 0) + " " + units[i];
  }
};
