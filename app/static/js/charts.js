/* Draws the console's declared charts with the vendored ECharts (app/static/vendor/echarts).
 *
 * Every element .chart-tile[data-src] is filled from its JSON endpoint
 * (GET /api/v1/chart/<resource>/<chart>: {labels, series: [{name, data, kind?, axis?}],
 * kind, links, list_url}) with the page's period and department filter. A series with
 * axis "rate" holds fractions 0–1 and is drawn as a line on a percent axis. Clicking a bar,
 * point or slice opens the list behind it. Nothing is loaded from another host.
 * Names come from users (customers, owners): every value put into tooltip HTML is
 * escaped; legends, labels and axes are drawn as canvas text.
 */
(function () {
  "use strict";

  var FILTERS = ["from", "to", "department"];

  var ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"};

  function escapeHtml(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/[&<>"']/g, function (c) { return ESCAPES[c]; });
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  function number(value) {
    if (value === null || value === undefined) { return "—"; }
    return Number(value).toLocaleString(undefined, {maximumFractionDigits: 2});
  }

  function isEmpty(data) {
    if (!data.labels || !data.labels.length) { return true; }
    return data.series.every(function (s) {
      return s.data.every(function (v) { return !v; });
    });
  }

  function baseOption(data, tile) {
    return {
      animation: false,
      toolbox: {right: 4, top: 0, feature: {saveAsImage: {name: data.title, pixelRatio: 2}}},
      legend: {type: "scroll", top: 0, left: 0, right: 36},
      tooltip: {confine: true},
      title: isEmpty(data) ? {text: tile.dataset.msgEmpty, left: "center", top: "middle",
                              textStyle: {color: "#999", fontSize: 14, fontWeight: "normal"}}
                           : undefined
    };
  }

  function pieOption(data, tile) {
    var option = baseOption(data, tile);
    var series = data.series[0] || {name: "", data: []};
    option.tooltip.trigger = "item";
    option.tooltip.formatter = function (p) {
      return escapeHtml(p.name) + "：" + escapeHtml(number(p.value)) + "（" +
        escapeHtml(p.percent) + "%）";
    };
    option.legend.top = "bottom";
    option.series = [{
      name: series.name, type: "pie", radius: ["30%", "62%"], center: ["50%", "48%"],
      avoidLabelOverlap: true, label: {formatter: "{b}\n{c}"},
      data: data.labels.map(function (label, i) { return {name: label, value: series.data[i]}; })
    }];
    return option;
  }

  function axisOption(data, tile) {
    var option = baseOption(data, tile);
    var rates = data.series.some(function (s) { return s.axis === "rate"; });
    var many = data.labels.length > 16;
    option.tooltip.trigger = "axis";
    option.tooltip.valueFormatter = undefined;
    option.tooltip.formatter = function (items) {
      var lines = [escapeHtml(items[0].axisValueLabel)];
      items.forEach(function (p) {
        var s = data.series[p.seriesIndex];
        lines.push(p.marker + escapeHtml(p.seriesName) + "：" +
                   escapeHtml(s.axis === "rate" ? percent(p.value) : number(p.value)));
      });
      return lines.join("<br>");
    };
    option.grid = {left: 8, right: rates ? 8 : 16, top: 40, bottom: many ? 36 : 8,
                   containLabel: true};
    option.xAxis = {type: "category", data: data.labels,
                    axisLabel: {hideOverlap: true, width: 90, overflow: "truncate"}};
    option.yAxis = [{type: "value", axisLabel: {formatter: function (v) { return number(v); }}}];
    if (rates) {
      option.yAxis.push({type: "value", min: 0, max: 1, splitLine: {show: false},
                         axisLabel: {formatter: function (v) { return Math.round(v * 100) + "%"; }}});
    }
    if (many) {
      option.dataZoom = [{type: "inside"}, {type: "slider", height: 16, bottom: 4}];
    }
    option.series = data.series.map(function (s) {
      var type = s.kind || (data.kind === "line" ? "line" : "bar");
      var item = {name: s.name, type: type, data: s.data, yAxisIndex: s.axis === "rate" ? 1 : 0,
                  connectNulls: true, emphasis: {focus: "series"}};
      if (data.kind === "stacked_bar" && type === "bar") { item.stack = "total"; }
      if (s.marks) {
        item.markLine = {symbol: "none", silent: true, label: {formatter: function (p) {
          return percent(p.value); }}, data: s.marks.map(function (m) { return {yAxis: m}; })};
      }
      return item;
    });
    return option;
  }

  function draw(tile, data) {
    var box = tile.querySelector(".chart-canvas");
    var chart = window.echarts.getInstanceByDom(box) ||
      window.echarts.init(box, null, {locale: tile.dataset.locale || "ZH", renderer: "canvas"});
    chart.setOption(data.kind === "pie" ? pieOption(data, tile) : axisOption(data, tile), true);
    chart.off("click");
    chart.on("click", function (p) {
      var url = data.links && data.links[p.dataIndex];
      if (url) { window.location.href = url; }
    });
    var link = tile.querySelector(".chart-list-link");
    if (link && data.list_url) { link.href = data.list_url; link.hidden = false; }
    var note = tile.querySelector(".chart-note");
    if (note) {
      var parts = [data.note || ""];
      if (data.period && !data.period.column && tile.dataset.msgNoPeriod) {
        parts.push(tile.dataset.msgNoPeriod);
      } else if (data.period && data.period.from) {
        parts.push(data.period.from + " — " + data.period.to);
      }
      note.textContent = parts.filter(Boolean).join("　");
    }
    tile.dataset.drawn = "1";
  }

  function query() {
    var here = new URLSearchParams(window.location.search);
    var out = new URLSearchParams();
    FILTERS.forEach(function (key) {
      var value = here.get(key);
      if (value) { out.set(key, value); }
    });
    var text = out.toString();
    return text ? "?" + text : "";
  }

  function fail(tile, message) {
    var box = tile.querySelector(".chart-message");
    box.textContent = message || tile.dataset.msgError;
    tile.dataset.drawn = "error";
  }

  function load(tile) {
    var extra = query();
    var src = tile.dataset.src;
    if (extra && src.indexOf("?") >= 0) { extra = "&" + extra.slice(1); }
    fetch(src + extra, {credentials: "same-origin",
                                       headers: {Accept: "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { fail(tile, body.message); return; }
          draw(tile, body);
        });
      })
      .catch(function () { fail(tile); });
  }

  function start() {
    var tiles = Array.prototype.slice.call(document.querySelectorAll(".chart-tile[data-src]"));
    tiles.forEach(load);
    window.addEventListener("resize", function () {
      tiles.forEach(function (tile) {
        var chart = window.echarts.getInstanceByDom(tile.querySelector(".chart-canvas"));
        if (chart) { chart.resize(); }
      });
    });
  }

  window.ConsoleCharts = {draw: draw, load: load};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
