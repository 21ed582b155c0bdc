// The script report.html runs in the browser, kept as text so it is part of the build and found
// from dist/ (tsc copies no .js files). It only hands each ChartData (charts.ts) to uPlot: axis and
// legend formats, the phase shading, and a record of what was drawn for the Chromium test. Plain
// ES5-style code on purpose: no template literals, so it sits in this string as it is.
//
// window.heapgateReport = { renderMs, charts: [{ id, series, points }], errors } once drawn;
// renderMs is performance.now() at that moment (milliseconds since navigation began).
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('heapgate-data').textContent);
  var UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];
  // Binary multiples with the short names, as the rest of heapgate prints them (format.ts).
  function bytes(v) {
    if (v == null) return '\u2014';
    var a = Math.abs(v), i = 0;
    while (i < UNITS.length - 1 && a >= Math.pow(1024, i + 1)) i++;
    return (v / Math.pow(1024, i)).toFixed(i === 0 ? 0 : 1) + ' ' + UNITS[i];
  }
  var FORMAT = {
    bytes: bytes,
    ms: function (v) { return v == null ? '\u2014' : (Math.abs(v) < 10 ? v.toFixed(1) : String(Math.round(v))) + ' ms'; },
    rate: function (v) { return v == null ? '\u2014' : v.toFixed(Math.abs(v) < 10 ? 1 : 0) + '/s'; },
    count: function (v) { return v == null ? '\u2014' : String(Math.round(v)); }
  };
  var AXIS_NAME = { bytes: 'bytes', ms: 'ms', rate: 'requests/s', count: 'count' };
  var BAND_FILL = {
    warmup: 'rgba(120,120,120,0.10)',
    load: 'rgba(255,152,0,0.18)',
    cooldown: 'rgba(33,150,243,0.12)',
    settle: 'rgba(76,175,80,0.20)',
    evidence: 'rgba(156,39,176,0.16)'
  };

  function seriesOptions(s) {
    var o = { label: s.label, scale: s.scale, stroke: s.color, width: 1.5, value: function (u, v) { return FORMAT[s.scale](v); } };
    if (s.style === 'points') {
      // No path at all: the readings are separate measurements, not a curve.
      o.paths = function () { return null; };
      o.points = { show: true, size: 8, fill: s.color, stroke: s.color };
    } else {
      o.points = { show: false };
      o.spanGaps = s.style !== 'line';
      if (s.style === 'fit') o.width = 2;
      if (s.style === 'range') { o.width = 1; o.dash = [6, 4]; }
    }
    return o;
  }

  function drawBands(bands) {
    return function (u) {
      var ctx = u.ctx, dpr = window.devicePixelRatio || 1;
      var left = u.bbox.left, right = u.bbox.left + u.bbox.width;
      ctx.save();
      ctx.font = Math.round(10 * dpr) + 'px sans-serif';
      bands.forEach(function (b) {
        var x0 = Math.max(left, u.valToPos(b.from, 'x', true));
        var x1 = Math.min(right, u.valToPos(b.to, 'x', true));
        if (!(x1 > x0)) return;
        ctx.fillStyle = BAND_FILL[b.kind];
        ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
        if (x1 - x0 > 14 * dpr) {
          ctx.fillStyle = '#555';
          ctx.fillText(b.label, x0 + 2 * dpr, u.bbox.top + 11 * dpr);
        }
      });
      ctx.restore();
    };
  }

  function fixed(range) {
    return range ? function () { return range.slice(); } : undefined;
  }

  function chartOptions(c, width) {
    var scales = { x: { time: false } };
    if (c.xRange) { scales.x.range = fixed(c.xRange); }
    var names = [];
    c.series.forEach(function (s) { if (names.indexOf(s.scale) < 0) names.push(s.scale); });
    var axes = [{ label: c.xLabel }];
    names.forEach(function (name, i) {
      scales[name] = c.yRanges[name] ? { range: fixed(c.yRanges[name]) } : {};
      axes.push({
        scale: name,
        label: AXIS_NAME[name],
        side: i === 0 ? 3 : 1,
        size: 84,
        labelGap: 4,
        grid: { show: i === 0 },
        values: function (u, vals) { return vals.map(FORMAT[name]); }
      });
    });
    var opts = {
      width: width,
      height: 260,
      scales: scales,
      axes: axes,
      series: [{ label: c.xLabel, value: function (u, v) { return v == null ? '\u2014' : String(Math.round(v * 100) / 100); } }]
        .concat(c.series.map(seriesOptions)),
      hooks: { drawClear: [drawBands(c.bands)] }
    };
    if (c.sync) opts.cursor = { sync: { key: c.sync } };
    return opts;
  }

  var drawn = [];
  var errors = [];
  var plots = [];
  data.charts.forEach(function (c) {
    var box = document.getElementById(c.id);
    try {
      var width = Math.max(320, box.clientWidth);
      var plot = new uPlot(chartOptions(c, width), [c.x].concat(c.series.map(function (s) { return s.values; })), box);
      plots.push({ plot: plot, box: box });
      var points = 0;
      c.series.forEach(function (s) { s.values.forEach(function (v) { if (v != null) points++; }); });
      drawn.push({ id: c.id, series: c.series.length, points: points });
    } catch (e) {
      errors.push(c.id + ': ' + (e && e.message));
      console.error('heapgate report: chart ' + c.id + ' failed', e);
    }
  });
  window.addEventListener('resize', function () {
    plots.forEach(function (p) { p.plot.setSize({ width: Math.max(320, p.box.clientWidth), height: 260 }); });
  });
  window.heapgateReport = { renderMs: performance.now(), charts: drawn, errors: errors };
})();
`;
