// The page of `fungible report` and of `fungible serve`'s /ui dashboard.
// Reads the figures document (src/report/figures.h) and draws one section per
// view present: each chart is an Apache ECharts instance with a title, axis
// units and a one-line caption, and every number it draws is also in the
// table under it. Controls (tier, week, policy, bridge) redraw their charts.
// Dashboard mode: no figures in the page; asks for a bearer token (kept in
// sessionStorage) and polls the data endpoint with it.
(function () {
  'use strict';

  const PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#0891b2', '#db2777',
    '#65a30d', '#ea580c', '#475569', '#7c3aed', '#0d9488', '#b45309', '#be123c'];
  const charts = [];      // {id, title, chart}: what the browser tests inspect
  window.fungibleCharts = charts;

  // ---------- formatting ----------
  function compact(v, digits) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    const d = digits === undefined ? 3 : digits;
    const units = [[1e15, 'P'], [1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'k']];
    for (const [f, s] of units) if (a >= f) return (v / f).toPrecision(d) + s;
    if (a === 0) return '0';
    if (a >= 1) return Number(v.toPrecision(d)).toString();
    return v.toPrecision(d);
  }
  // Under half a cent is float noise (e.g. a rate effect of 5e-8 USD): $0.
  const usd = (v) => (v === null || v === undefined || Number.isNaN(v)) ? '–' : Math.abs(v) < 0.005 ? '$0' : (v < 0 ? '-$' : '$') + compact(Math.abs(v));
  const pct = (v) => (v === null || v === undefined || Number.isNaN(v)) ? '–' : (100 * v).toFixed(1) + '%';
  const num = (v) => compact(v);
  const ratio = (v) => (v === null || v === undefined || Number.isNaN(v)) ? '–' : v.toFixed(2) + 'x';

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  // ---------- sections, cards, tables ----------
  function section(app, id, title, intro) {
    const s = el('section', { id: id, class: 'view' }, el('h2', { text: title }));
    if (intro) s.append(el('p', { class: 'intro', text: intro }));
    app.append(s);
    const toc = document.getElementById('toc');
    if (toc) toc.append(el('a', { href: '#' + id, text: title }));
    return s;
  }

  function control(parent, label, options, onChange, initial) {
    const select = el('select', { 'data-control': label });
    for (const o of options) {
      const opt = el('option', { value: o.value, text: o.label });
      if (o.value === initial) opt.selected = true;
      select.append(opt);
    }
    select.addEventListener('change', () => onChange(select.value));
    parent.append(el('label', { class: 'control' }, label + ' ', select));
    return select;
  }

  function table(columns, rows) {
    const t = el('table');
    const head = el('tr');
    for (const c of columns) head.append(el('th', { text: c }));
    t.append(el('thead', {}, head));
    const body = el('tbody');
    for (const r of rows) {
      const tr = el('tr');
      for (const v of r) tr.append(el('td', { text: v === null || v === undefined ? '–' : String(v) }));
      body.append(tr);
    }
    t.append(body);
    return t;
  }

  // A chart card: title, chart, caption, the table of its numbers. `spec()`
  // returns {option, columns, rows}; redraw() calls it again (controls).
  function card(parent, id, title, caption, spec, opts) {
    const o = opts || {};
    const div = el('div', { class: 'chart', id: 'chart-' + id });
    if (o.height) div.style.height = o.height + 'px';
    const cap = el('p', { class: 'caption', text: caption });
    const details = el('details', {}, el('summary', { text: 'Table: the numbers in this chart' }));
    const c = el('div', { class: 'card' + (o.wide ? ' wide' : ''), 'data-chart': id }, el('h3', { text: title }), div, cap, details);
    parent.append(c);
    const chart = echarts.init(div, null, { renderer: 'canvas' });
    const entry = { id: id, title: title, chart: chart };
    charts.push(entry);
    function redraw() {
      const s = spec();
      const option = Object.assign({
        color: PALETTE,
        animation: false,
        textStyle: { fontFamily: 'system-ui, sans-serif' },
        tooltip: { trigger: 'axis', confine: true },
        grid: { left: 70, right: 30, top: 40, bottom: 60, containLabel: false },
      }, s.option);
      chart.setOption(option, true);
      const old = details.querySelector('table');
      if (old) old.remove();
      details.append(table(s.columns, s.rows));
      if (s.caption) cap.textContent = s.caption;
    }
    entry.redraw = redraw;
    redraw();
    return entry;
  }

  function kpis(parent, items) {
    const row = el('div', { class: 'kpis' });
    for (const [label, value, hint] of items) {
      row.append(el('div', { class: 'kpi', title: hint || '' }, el('div', { class: 'kpi-value', text: value }),
        el('div', { class: 'kpi-label', text: label })));
    }
    parent.append(row);
  }

  const grid = (parent) => { const g = el('div', { class: 'grid' }); parent.append(g); return g; };
  const legend = (extra) => Object.assign({ type: 'scroll', bottom: 0, left: 'center' }, extra || {});
  const yAxis = (name, fmt, extra) => Object.assign({
    type: 'value', name: name, nameLocation: 'middle', nameGap: 52, axisLabel: { formatter: fmt || num },
  }, extra || {});
  const xCat = (data, name, extra) => Object.assign({ type: 'category', data: data, name: name, nameLocation: 'middle', nameGap: 28 }, extra || {});

  // ---------- the cone ----------
  function fanSeries(bands, label, color, dashed) {
    const lower = bands.p5, upper = bands.p95;
    const s = [];
    const stack = label + '-band';
    s.push({ name: label + ' P5', type: 'line', data: lower, stack: stack, symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false } });
    s.push({ name: label + ' P5–P95', type: 'line', data: upper.map((v, i) => v - lower[i]), stack: stack, symbol: 'none', lineStyle: { opacity: 0 }, itemStyle: { color: color, opacity: 0.3 }, areaStyle: { color: color, opacity: 0.15 } });
    const stack2 = label + '-iqr';
    s.push({ name: label + ' P25', type: 'line', data: bands.p25, stack: stack2, symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false } });
    s.push({ name: label + ' P25–P75', type: 'line', data: bands.p75.map((v, i) => v - bands.p25[i]), stack: stack2, symbol: 'none', lineStyle: { opacity: 0 }, itemStyle: { color: color, opacity: 0.6 }, areaStyle: { color: color, opacity: 0.3 } });
    s.push({ name: label + ' P50', type: 'line', data: bands.p50, symbol: 'none', lineStyle: { color: color, width: 2, type: dashed ? 'dashed' : 'solid' }, itemStyle: { color: color } });
    return s;
  }

  function viewCone(app, fig) {
    const cone = fig.cone;
    const s = section(app, 'cone', 'The cone: demand and revenue per tier',
      'Monte Carlo scenarios of the spec (seed ' + cone.seed + ', ' + cone.scenarios + ' scenarios): the shaded bands hold 90% (P5–P95) and 50% (P25–P75) of them' +
      (cone.actuals_file ? '; the observed months (' + cone.actuals_file + ') and the cone updated from them are drawn over it.' : '.'));
    let tier = cone.tiers[0].id;
    const g = grid(s);
    const controls = el('div', { class: 'controls' });
    s.insertBefore(controls, g);
    const entries = [];
    control(controls, 'Tier', cone.tiers.map((t) => ({ value: t.id, label: t.id + ' (' + t.kind + ')' })), (v) => { tier = v; entries.forEach((e) => e.redraw()); }, tier);
    const current = () => cone.tiers.find((t) => t.id === tier);
    function coneSpec(key, unitLabel, fmt) {
      const t = current();
      const prior = key === 'q' ? t.prior : t.prior_revenue_usd;
      const post = key === 'q' ? t.posterior : t.posterior_revenue_usd;
      if (!prior) {
        return { option: { title: { text: 'no revenue: ' + t.id + ' is a ' + t.kind + ' tier', left: 'center', top: 'middle', textStyle: { fontSize: 14, color: '#64748b' } }, series: [] }, columns: ['month'], rows: [] };
      }
      let series = fanSeries(prior, 'prior', '#2563eb', false);
      if (post) series = series.concat(fanSeries(post, 'updated', '#f59e0b', true));
      if (key === 'q' && t.actuals) series.push({ name: 'actual', type: 'line', data: t.actuals, symbol: 'circle', symbolSize: 7, lineStyle: { color: '#111827', width: 2 }, itemStyle: { color: '#111827' } });
      const columns = ['month', 'P5', 'P25', 'P50', 'P75', 'P95'];
      if (post) columns.push('updated P5', 'updated P50', 'updated P95');
      if (key === 'q' && t.actuals) columns.push('actual');
      const rows = cone.months.map((m, i) => {
        const r = [m, fmt(prior.p5[i]), fmt(prior.p25[i]), fmt(prior.p50[i]), fmt(prior.p75[i]), fmt(prior.p95[i])];
        if (post) r.push(fmt(post.p5[i]), fmt(post.p50[i]), fmt(post.p95[i]));
        if (key === 'q' && t.actuals) r.push(fmt(t.actuals[i]));
        return r;
      });
      return {
        option: {
          grid: { left: 70, right: 30, top: 40, bottom: post ? 90 : 70 },
          legend: { type: 'plain', bottom: 0, left: 'center', data: series.filter((x) => !/ P5$| P25$/.test(x.name)).map((x) => x.name) },
          xAxis: xCat(cone.months, 'month'),
          yAxis: yAxis(unitLabel, fmt),
          series: series,
        },
        columns: columns, rows: rows,
      };
    }
    entries.push(card(g, 'cone-demand', 'Demand per month', 'How far demand of the chosen tier can go: the median path and the bands around it; the updated cone narrows where months were observed.',
      () => { const t = current(); return coneSpec('q', t.unit, num); }));
    entries.push(card(g, 'cone-revenue', 'Revenue per month', 'Token revenue of the chosen tier at list prices (USD per month), with the same bands.',
      () => coneSpec('r', 'USD / month', usd)));
  }

  // ---------- the layer cake ----------
  function viewLayerCake(app, fig) {
    const lc = fig.layer_cake;
    const s = section(app, 'layer-cake', 'The layer cake: capacity by contract and offer',
      'Chips landed at each month\'s start, one layer per contract and chip type (platform and generation); the plan\'s signed offers have a dashed outline and a marker at their start; serving demand (P10/P50/P90, summed over the serving tiers) on the right axis.');
    const g = grid(s);
    card(g, 'layer-cake', 'Capacity by contract and offer, with demand', 'Committed contracts (solid) and the offers the plan signs (dashed outline, from their start month) against the cone\'s serving demand (lines, right axis).', () => {
      const series = lc.layers.map((l) => ({
        name: l.name, type: 'line', stack: 'chips', symbol: 'none', areaStyle: { opacity: l.signed_offer ? 0.45 : 0.8 },
        lineStyle: { width: l.signed_offer ? 2 : 0.5, type: l.signed_offer ? 'dashed' : 'solid' }, data: l.chips,
        markLine: l.signed_offer && l.offer_start ? { symbol: 'none', label: { formatter: 'signed: ' + l.contract, position: 'insideEndTop' }, lineStyle: { type: 'dotted' }, data: [{ xAxis: l.offer_start }] } : undefined,
      }));
      for (const [q, w] of [['p10', 1], ['p50', 2.5], ['p90', 1]]) {
        series.push({ name: 'demand ' + q.toUpperCase(), type: 'line', yAxisIndex: 1, symbol: 'none', data: lc.demand_output_tokens[q], lineStyle: { color: '#111827', width: w, type: q === 'p50' ? 'solid' : 'dashed' }, itemStyle: { color: '#111827' } });
      }
      const columns = ['month'].concat(lc.layers.map((l) => l.name + ' (chips)'), ['demand P10', 'demand P50', 'demand P90']);
      const rows = lc.months.map((m, i) => [m].concat(lc.layers.map((l) => num(l.chips[i])),
        [num(lc.demand_output_tokens.p10[i]), num(lc.demand_output_tokens.p50[i]), num(lc.demand_output_tokens.p90[i])]));
      return {
        option: {
          grid: { left: 70, right: 80, top: 40, bottom: 40 + 22 * Math.ceil((lc.layers.length + 3) / 3) },
          legend: { type: 'plain', bottom: 0, left: 10, right: 10, itemGap: 14 },
          xAxis: xCat(lc.months, 'month'),
          yAxis: [yAxis('chips landed'), yAxis('serving demand, output tokens / month', num, { nameGap: 55, splitLine: { show: false } })],
          series: series,
        },
        columns: columns, rows: rows,
      };
    }, { wide: true, height: 460 });
  }

  // ---------- the plan ----------
  // Money words (docs/economics.md): cash profit = revenue − compute cost
  // (cash); value = cash profit + imputed value of the work done (not cash).
  function viewPlan(app, fig) {
    const p = fig.plan;
    const s = section(app, 'plan', 'The procurement plan under the cone',
      'What `fungible plan` signs and what it is worth: the value of planning over the cone (VSS), of knowing the future (EVPI), each point of the cone\'s plan lived in each other point, and the cash path. Cash profit is revenue less compute cost; value is cash profit plus the imputed value of the training and research work (not cash).');
    // `sign` is true/false in plan --json (a string in older outputs).
    const signed = p.offers.filter((o) => (o.sign === true || (typeof o.sign === 'string' && o.sign !== '-')) && o.chips > 0)
      .map((o) => o.id + ' (' + num(o.chips) + ' ' + o.chip_type + ')').join(', ') || 'nothing';
    const spread = (x) => usd(x.mean) + ' (P10 ' + usd(x.p10) + ', P90 ' + usd(x.p90) + ')';
    // Whole-term valuation: value also carries each deal's terminal value less
    // its payments after the planned months (docs/plan.md).
    const term = p.terminal_value && p.terminal_value.rule !== 'none' ? p.terminal_value : null;
    const valueWords = term ? 'value (cash profit + imputed + terminal net)' : 'value (cash profit + imputed)';
    const raiseText = (r) => r.usd > 0 ? usd(r.usd) + ' by ' + (r.by_month || '–') : '$0 (cash stays above the floor)';
    kpis(s, [
      ['objective (expected value − risk)', usd(p.objective_usd)],
      [valueWords + ', mean', spread(p.value_usd)],
      ['cash profit, mean', spread(p.cash_profit_usd)],
      ['imputed value (not cash), mean', spread(p.imputed_value_usd)],
    ].concat(term ? [['terminal value after the planned months (' + term.rule + '), mean', usd(term.value_usd.mean)],
      ['contract payments after the planned months, mean', usd(term.payments_usd.mean)]] : [], [
      ['token revenue, mean', usd(p.revenue_usd.mean)],
      ['compute cost, mean', usd(p.compute_cost_usd.mean)],
      ['operating cost (not compute)', usd(p.operating_cost_usd)],
      ['financing raised', usd(p.financing_usd)],
      ['cash return on compute', ratio(p.cash_return_on_compute)],
      ['return on compute (with imputed value)', ratio(p.return_on_compute)],
      ['VSS: planning over the cone vs the mean', usd(p.vss_usd)],
      ['EVPI: knowing the scenario in advance', usd(p.evpi_usd)],
      ['P(cash < floor of ' + usd(p.cash_floor_usd) + ')', pct(p.probability_cash_breach)],
    ], p.capital_to_raise.map((r) => ['capital to raise at P' + Math.round(100 * r.quantile), raiseText(r)]), [['signs', signed]]));
    const g = grid(s);
    // The cash path: P10/P50/P90 of end-of-month cash across the scenarios.
    card(g, 'cash', 'Cash path: end-of-month cash, P10 / P50 / P90', 'End-of-month cash (USD) across the scenarios: the band from P10 to P90, the median (line), the cash floor (red). Capital to raise to stay above the floor: ' +
      p.capital_to_raise.map((r) => 'P' + Math.round(100 * r.quantile) + ' ' + raiseText(r)).join('; ') + '.', () => {
      const c = p.cash_by_month_usd;
      const months = c.map((x) => x.month);
      const series = [
        { name: 'P10', type: 'line', symbol: 'none', stack: 'band', data: c.map((x) => x.p10), lineStyle: { color: '#2563eb', width: 1, type: 'dashed' }, itemStyle: { color: '#2563eb' } },
        { name: 'P10 to P90', type: 'line', symbol: 'none', stack: 'band', data: c.map((x) => x.p90 - x.p10), lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(37,99,235,0.18)' }, itemStyle: { color: 'rgba(37,99,235,0.35)' }, tooltip: { show: false } },
        { name: 'P90', type: 'line', symbol: 'none', data: c.map((x) => x.p90), lineStyle: { color: '#2563eb', width: 1, type: 'dashed' }, itemStyle: { color: '#2563eb' } },
        { name: 'P50', type: 'line', symbol: 'circle', symbolSize: 4, data: c.map((x) => x.p50), lineStyle: { color: '#1e3a8a', width: 2.5 }, itemStyle: { color: '#1e3a8a' } },
      ];
      if (p.cash_floor_usd !== null && p.cash_floor_usd !== undefined)
        series.push({ name: 'cash floor', type: 'line', symbol: 'none', data: months.map(() => p.cash_floor_usd), lineStyle: { color: '#dc2626', width: 2 }, itemStyle: { color: '#dc2626' },
          endLabel: { show: true, formatter: 'floor ' + usd(p.cash_floor_usd), color: '#dc2626' } });
      for (const r of p.capital_to_raise)
        if (r.usd > 0 && r.by_month) series.push({ name: 'raise at P' + Math.round(100 * r.quantile), type: 'scatter', symbolSize: 10, data: [[r.by_month, p.cash_floor_usd]], itemStyle: { color: '#f59e0b' },
          label: { show: true, position: 'top', formatter: 'raise ' + usd(r.usd) + ' by ' + r.by_month + ' (P' + Math.round(100 * r.quantile) + ')' } });
      const lo = Math.min(...c.map((x) => x.p10), p.cash_floor_usd === null ? Infinity : p.cash_floor_usd);
      return {
        option: {
          tooltip: { trigger: 'axis', valueFormatter: usd },
          legend: legend({ data: series.map((x) => x.name).filter((n) => n !== 'P10 to P90').concat(['P10 to P90']) }),
          grid: { left: 80, right: 110, top: 40, bottom: 80 },
          xAxis: xCat(months, 'month (end-of-month cash)'),
          yAxis: yAxis('cash, USD', usd, { min: lo < 0 ? lo * 1.1 : 0 }),
          series: series,
        },
        columns: ['month', 'P10', 'P50', 'P90', 'mean'],
        rows: c.map((x) => [x.month, usd(x.p10), usd(x.p50), usd(x.p90), usd(x.mean)]),
      };
    }, { wide: true });
    if (p.mismatch) {
      const m = p.mismatch;
      const ids = { value_usd: 'mismatch-value', cash_profit_usd: 'mismatch-cash-profit', unserved_share: 'mismatch-unserved' };
      const heat = (key, fmt, title, caption, unit) => card(g, ids[key], title, caption, () => {
        const data = [];
        const rows = [];
        m.points.forEach((bought, i) => {
          rows.push(['bought for ' + bought].concat(m.points.map((_, j) => fmt(m[key][i][j]))));
          m.points.forEach((_, j) => data.push([j, i, m[key][i][j]]));
        });
        const values = data.map((d) => d[2]);
        return {
          option: {
            tooltip: { trigger: 'item', formatter: (x) => 'bought for ' + m.points[x.value[1]] + ', ' + m.points[x.value[0]] + ' happens: ' + fmt(x.value[2]) },
            grid: { left: 110, right: 30, top: 30, bottom: 90 },
            xAxis: xCat(m.points, 'what happens (cone point)'),
            yAxis: { type: 'category', data: m.points.map((x) => 'bought for ' + x), name: '', inverse: true },
            visualMap: { min: Math.min(...values), max: Math.max(...values), calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120, text: [unit + ' high', 'low'], inRange: { color: key !== 'unserved_share' ? ['#fee2e2', '#fef9c3', '#bbf7d0'] : ['#dcfce7', '#fef9c3', '#fecaca'] } },
            series: [{ name: title, type: 'heatmap', data: data, label: { show: true, formatter: (x) => fmt(x.value[2]) } }],
          },
          columns: ['plan'].concat(m.points.map((x) => x + ' happens')), rows: rows,
        };
      });
      heat('value_usd', usd, 'Mismatch: ' + valueWords, 'Value (USD: cash profit plus imputed value over the planned months' + (term ? ', plus terminal value less payments over the deals\' later months' : '') + ') of the plan bought for each point of the cone (rows) when another point happens (columns).', 'USD');
      heat('cash_profit_usd', usd, 'Mismatch: cash profit', 'Cash profit (USD over the horizon: revenue less compute cost) of the plan bought for each point of the cone (rows) when another point happens (columns).', 'USD');
      heat('unserved_share', pct, 'Mismatch: unserved demand', 'Share of demand left unserved by each plan (rows) when each point happens (columns).', 'share');
    }
    card(g, 'value-spread', 'Value across the scenarios', 'Each scenario\'s value over the horizon under the plan (USD), lowest first, split into cash profit, imputed value' + (term ? ' and terminal net (terminal value less payments after the planned months)' : '') + ' (stacked; each can be negative).', () => {
      const sc = p.scenarios;
      return {
        option: { legend: legend(), tooltip: { trigger: 'axis', valueFormatter: usd }, xAxis: xCat(sc.map((x) => x.name), 'scenario (lowest value first)'), yAxis: yAxis('USD', usd),
          series: [{ name: 'cash profit', type: 'bar', stack: 'v', data: sc.map((x) => x.cash_profit_usd) }, { name: 'imputed value', type: 'bar', stack: 'v', data: sc.map((x) => x.imputed_value_usd) }]
            .concat(term ? [{ name: 'terminal net', type: 'bar', stack: 'v', data: sc.map((x) => x.terminal_net_usd) }] : [],
            [{ name: valueWords, type: 'line', data: sc.map((x) => x.value_usd), itemStyle: { color: '#111827' } }]) },
        columns: ['scenario', 'probability', 'cumulative', 'value', 'cash profit', 'imputed value', 'terminal net', 'revenue', 'compute cost', 'lowest cash', 'unserved', 'months below the floor'],
        rows: sc.map((x) => [x.name, pct(x.probability), pct(x.cumulative_probability), usd(x.value_usd), usd(x.cash_profit_usd), usd(x.imputed_value_usd), usd(x.terminal_net_usd), usd(x.revenue_usd), usd(x.cost_usd), usd(x.min_cash_usd), pct(x.unserved_share), x.cash_breach_months]),
      };
    }, { wide: true });
  }

  function viewEvaluate(app, fig) {
    const e = fig.evaluate;
    const s = section(app, 'evaluate', 'One offer: ' + e.offer,
      e.provider + ', ' + num(e.chips) + ' ' + e.chip_type + ' at $' + e.usd_per_chip_hour.toFixed(2) + ' a chip-hour: what signing it changes.');
    const term = e.terminal_value_rule && e.terminal_value_rule !== 'none' && e.terminal_months > 0;
    kpis(s, [['objective change', usd(e.objective_change_usd)],
      [term ? 'expected value change (cash profit + imputed + terminal net)' : 'expected value change (cash profit + imputed)', usd(e.expected_value_change_usd)]]
      .concat(term ? [['the ' + e.terminal_months + ' months after the planned ones: value (' + e.terminal_value_rule + ')', usd(e.terminal_value_usd)],
        ['the ' + e.terminal_months + ' months after the planned ones: payments', usd(e.terminal_payments_usd)]] : [], [
      ['expected cash profit change', usd(e.expected_cash_profit_change_usd)], ['expected imputed value change (not cash)', usd(e.expected_imputed_value_change_usd)],
      ['expected revenue change', usd(e.expected_revenue_change_usd)], ['expected compute cost change', usd(e.expected_cost_change_usd)],
      ['paid over the horizon', usd(e.cost_usd)], ['P(value falls)', pct(e.probability_value_falls)]]));
    const g = grid(s);
    card(g, 'evaluate-scenarios', 'Value change per scenario', 'What signing the offer adds to (or takes from) value (cash profit + imputed value over the planned months' + (term ? ', plus terminal value less payments after them' : '') + ') in each scenario (USD).', () => {
      const sc = e.scenarios.slice().sort((a, b) => a.value_change_usd - b.value_change_usd);
      return {
        option: { xAxis: xCat(sc.map((x) => x.name), 'scenario'), yAxis: yAxis('USD', usd), series: [{ name: 'value change', type: 'bar', data: sc.map((x) => x.value_change_usd) }] },
        columns: ['scenario', 'probability', 'value change', 'share of the chips used'], rows: sc.map((x) => [x.name, pct(x.probability), usd(x.value_change_usd), pct(x.used_share)]),
      };
    });
    card(g, 'evaluate-months', 'Landed and used chips by month', 'Chips of the offer landed each month (bars) and the expected share of them used (line, right axis).', () => ({
      option: {
        grid: { left: 70, right: 60, top: 40, bottom: 60 },
        legend: legend(),
        xAxis: xCat(e.months.map((m) => m.month), 'month'),
        yAxis: [yAxis('chips'), yAxis('share used', pct, { max: 1, nameGap: 45, splitLine: { show: false } })],
        series: [{ name: 'landed chips', type: 'bar', data: e.months.map((m) => m.landed_chips) },
          { name: 'expected share used', type: 'line', yAxisIndex: 1, data: e.months.map((m) => m.expected_used_share) }],
      },
      columns: ['month', 'landed chips', 'expected share used'], rows: e.months.map((m) => [m.month, num(m.landed_chips), pct(m.expected_used_share)]),
    }));
  }

  // ---------- a week of allocation ----------
  function hourLabel(iso) { return iso.replace('T', ' ').replace(':00Z', 'Z').slice(5); }

  function viewAllocation(app, fig) {
    const a = fig.allocation;
    const labels = a.periods.map(hourLabel);
    const days = [];
    a.periods.forEach((p, i) => { const d = p.slice(0, 10); if (!days.length || days[days.length - 1].day !== d) days.push({ day: d, from: i, to: i }); days[days.length - 1].to = i; });
    const s = section(app, 'allocation', 'A week of allocation',
      'The allocation engine\'s split for ' + a.periods[0].slice(0, 10) + ' … ' + a.periods[a.periods.length - 1].slice(0, 10) + ' (UTC): who gets the chips each hour, how full each pool is, and the internal price of a chip-hour.');
    const controls = el('div', { class: 'controls' });
    s.append(controls);
    let range = 'all';
    const entries = [];
    control(controls, 'Window', [{ value: 'all', label: 'the whole window' }].concat(days.map((d) => ({ value: d.day, label: d.day }))), (v) => { range = v; entries.forEach((e) => e.redraw()); }, 'all');
    const span = () => { if (range === 'all') return [0, a.periods.length - 1]; const d = days.find((x) => x.day === range); return [d.from, d.to]; };
    const g = grid(s);
    entries.push(card(g, 'alloc-workloads', 'Chips by workload, hour by hour', 'Chips given to each workload class each hour (stacked; serving first): serving swells by day and training takes the chips back at night.', () => {
      const [f, t] = span();
      const x = labels.slice(f, t + 1);
      const series = a.workloads.map((w) => ({ name: w.id + (w.kind ? ' (' + w.kind + ')' : ''), type: 'line', stack: 'chips', symbol: 'none', areaStyle: { opacity: w.kind === 'serving' ? 0.85 : 0.6 }, lineStyle: { width: 0.5 }, data: w.chips.slice(f, t + 1) }));
      return {
        option: { grid: { left: 70, right: 30, top: 40, bottom: 100 }, legend: legend(), xAxis: xCat(x, 'hour (UTC)', { axisLabel: { interval: Math.max(0, Math.floor(x.length / 12) - 1) } }), yAxis: yAxis('chips'), series: series },
        columns: ['hour (UTC)'].concat(a.workloads.map((w) => w.id)),
        rows: x.map((h, i) => [h].concat(a.workloads.map((w) => num(w.chips[f + i])))),
      };
    }, { wide: true, height: 420 }));
    entries.push(card(g, 'alloc-utilization', 'Utilization by pool and hour', 'Allocated chips / usable chips of each pool each hour (0–100%); pale cells are idle capacity.', () => {
      const [f, t] = span();
      const x = labels.slice(f, t + 1);
      const data = [];
      a.pools.forEach((p, pi) => p.utilization.slice(f, t + 1).forEach((u, hi) => data.push([hi, pi, Math.round(u * 1000) / 10])));
      return {
        option: {
          tooltip: { trigger: 'item', formatter: (v) => a.pools[v.value[1]].id + ' at ' + x[v.value[0]] + ': ' + v.value[2] + '%' },
          grid: { left: 130, right: 30, top: 30, bottom: 90 },
          xAxis: xCat(x, 'hour (UTC)', { axisLabel: { interval: Math.max(0, Math.floor(x.length / 12) - 1) } }),
          yAxis: { type: 'category', data: a.pools.map((p) => p.id + ' (' + p.chip_type + ')') },
          visualMap: { min: 0, max: 100, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 160, text: ['100% used', '0%'], inRange: { color: ['#f1f5f9', '#93c5fd', '#1d4ed8'] } },
          series: [{ name: 'utilization (%)', type: 'heatmap', data: data }],
        },
        columns: ['hour (UTC)'].concat(a.pools.map((p) => p.id + ' (%)')),
        rows: x.map((h, i) => [h].concat(a.pools.map((p) => (100 * p.utilization[f + i]).toFixed(1)))),
      };
    }, { wide: true, height: Math.max(260, 90 + 28 * a.pools.length) }));
    entries.push(card(g, 'alloc-prices', 'Internal price of compute per chip type', 'The shadow price of one more chip-hour of each chip type each hour (USD per chip-hour; the highest over its pools): what the marginal chip would earn.', () => {
      const [f, t] = span();
      const x = labels.slice(f, t + 1);
      return {
        option: { legend: legend(), xAxis: xCat(x, 'hour (UTC)', { axisLabel: { interval: Math.max(0, Math.floor(x.length / 12) - 1) } }), yAxis: yAxis('USD per chip-hour', (v) => '$' + compact(v)),
          series: a.prices.map((p) => ({ name: p.chip_type, type: 'line', step: 'end', symbol: 'none', data: p.usd_per_chip_hour.slice(f, t + 1) })) },
        columns: ['hour (UTC)'].concat(a.prices.map((p) => p.chip_type + ' ($/chip-h)')),
        rows: x.map((h, i) => [h].concat(a.prices.map((p) => p.usd_per_chip_hour[f + i].toFixed(3)))),
      };
    }, { wide: true }));
  }

  // ---------- a simulate run ----------
  function viewRun(app, fig) {
    const r = fig.run;
    const s = section(app, 'run', 'Return on compute: a simulated run',
      r.fleet + ', ' + r.hours + ' hours from ' + r.start + ', scenario ' + r.scenario + ', seed ' + r.seed + ': every chip-hour costed and valued, by policy.');
    const controls = el('div', { class: 'controls' });
    s.append(controls);
    let policy = r.policies[0].policy;
    const weeks = [];
    r.policies[0].days.forEach((d, i) => { if (i % 7 === 0) weeks.push({ value: String(weeks.length), label: 'week of ' + d.date, from: i }); });
    let week = weeks.length ? '0' : null;
    const entries = [];
    control(controls, 'Policy', r.policies.map((p) => ({ value: p.policy, label: p.policy })), (v) => { policy = v; entries.forEach((e) => e.redraw()); }, policy);
    if (weeks.length > 1) control(controls, 'Week', weeks, (v) => { week = v; entries.forEach((e) => e.redraw()); }, week);
    const cur = () => r.policies.find((p) => p.policy === policy);
    if (r.value_of_fungibility) {
      const v = r.value_of_fungibility;
      kpis(s, [['revenue gained over the static split', usd(v.revenue_usd) + ' (' + v.revenue_pct.toFixed(1) + '%)'], ['value gained (all-up)', usd(v.value_all_up_usd) + ' (' + v.value_all_up_pct.toFixed(1) + '%)'],
        ['return on compute, points', v.roc_all_up_points.toFixed(3)], ['switching cost', usd(v.switch_cost_usd)], ['net revenue gained', usd(v.net_revenue_usd)]]);
    }
    const g = grid(s);
    const horizons = [['roc_now', 'now'], ['roc_within', 'within the value horizon'], ['roc_all_up', 'all-up']];
    entries.push(card(g, 'roc-horizon', 'Return on compute by horizon, every policy', 'Value / full cost (idle and down included) of each policy at each horizon; the chosen policy is outlined.', () => ({
      option: { legend: legend(), xAxis: xCat(r.policies.map((p) => p.policy), 'policy'), yAxis: yAxis('value / cost (x)', (v) => v.toFixed(2) + 'x'),
        series: horizons.map(([k, label]) => ({ name: label, type: 'bar', data: r.policies.map((p) => ({ value: p.roc_total[k], itemStyle: p.policy === policy ? { borderColor: '#111827', borderWidth: 2 } : {} })) })) },
      columns: ['policy'].concat(horizons.map((h) => h[1])), rows: r.policies.map((p) => [p.policy].concat(horizons.map(([k]) => ratio(p.roc_total[k])))),
    })));
    const by = (key, id, title, caption, axis) => entries.push(card(g, id, title, caption, () => {
      const rows = cur()[key];
      return {
        option: { legend: legend(), grid: { left: 70, right: 30, top: 40, bottom: 90 }, xAxis: xCat(rows.map((x) => x.key), axis, { axisLabel: { interval: 0, rotate: rows.length > 5 ? 30 : 0 } }), yAxis: yAxis('value / cost (x)', (v) => v.toFixed(2) + 'x'),
          series: horizons.map(([k, label]) => ({ name: label, type: 'bar', data: rows.map((x) => x[k]) })) },
        columns: [axis, 'chip-hours', 'cost', 'value (all-up)'].concat(horizons.map((h) => 'RoC ' + h[1])),
        rows: rows.map((x) => [x.key, num(x.chip_hours), usd(x.cost_usd), usd(x.value_all_up_usd)].concat(horizons.map(([k]) => ratio(x[k])))),
      };
    }));
    by('by_team', 'roc-team', 'Return on compute by team', 'Each team\'s value / the cost of its chip-hours, at each horizon, under the chosen policy (idle and down are listed apart).', 'team');
    by('by_chip_type', 'roc-chip', 'Return on compute by chip type', 'Value / full cost of each chip type (its idle and down chips included), under the chosen policy.', 'chip type');
    entries.push(card(g, 'fungibility', 'The value of fungibility', 'Revenue and value (all-up, USD) of each policy over the run: what moving chips between serving and training earns against the static split.', () => ({
      option: { legend: legend(), xAxis: xCat(r.policies.map((p) => p.policy), 'policy'), yAxis: yAxis('USD over the run', usd),
        series: [{ name: 'revenue', type: 'bar', data: r.policies.map((p) => p.summary.revenue_usd) }, { name: 'value (all-up)', type: 'bar', data: r.policies.map((p) => p.summary.value_all_up_usd) }, { name: 'contract cost', type: 'bar', data: r.policies.map((p) => p.summary.contract_cost_usd) }] },
      columns: ['policy', 'revenue', 'value (all-up)', 'contract cost', 'utilization', 'unserved', 'chips switched'],
      rows: r.policies.map((p) => [p.policy, usd(p.summary.revenue_usd), usd(p.summary.value_all_up_usd), usd(p.summary.contract_cost_usd), pct(p.summary.utilization), pct(p.summary.unserved_share), num(p.summary.chips_switched)]),
    })));
    entries.push(card(g, 'team-usage', 'Usage by team: the leaderboard', 'Chip-hours each team used over the run under the chosen policy (bars, most first), with their cost and the value they returned in the table.', () => {
      const teams = cur().by_team.filter((x) => x.chip_hours > 0).slice().sort((a, b) => b.chip_hours - a.chip_hours);
      return {
        option: { grid: { left: 110, right: 40, top: 30, bottom: 50 }, tooltip: { trigger: 'axis' }, yAxis: { type: 'category', data: teams.map((x) => x.key), inverse: true }, xAxis: { type: 'value', name: 'chip-hours', nameLocation: 'middle', nameGap: 28, axisLabel: { formatter: num } },
          series: [{ name: 'chip-hours', type: 'bar', data: teams.map((x) => x.chip_hours), label: { show: true, position: 'right', formatter: (v) => num(v.value) } }] },
        columns: ['rank', 'team', 'chip-hours', 'cost', 'value (all-up)', 'RoC all-up'],
        rows: teams.map((x, i) => [i + 1, x.key, num(x.chip_hours), usd(x.cost_usd), usd(x.value_all_up_usd), ratio(x.roc_all_up)]),
      };
    }));
    entries.push(card(g, 'tokens-model', 'Tokens served by model', 'Output tokens each model served over the run under the chosen policy (bars) and the demand it left unserved (stacked), most first.', () => {
      const tot = {};
      for (const m of cur().months) for (const x of m.models) { const t = tot[x.id] || (tot[x.id] = { served: 0, demand: 0, revenue: 0 }); t.served += x.served_output_tokens; t.demand += x.demand_output_tokens; t.revenue += x.revenue_usd; }
      const ids = Object.keys(tot).sort((a, b) => tot[b].served - tot[a].served);
      return {
        option: { legend: legend(), grid: { left: 110, right: 40, top: 30, bottom: 70 }, yAxis: { type: 'category', data: ids, inverse: true }, xAxis: { type: 'value', name: 'output tokens', nameLocation: 'middle', nameGap: 28, axisLabel: { formatter: num } },
          series: [{ name: 'served', type: 'bar', stack: 't', data: ids.map((i) => tot[i].served) }, { name: 'unserved', type: 'bar', stack: 't', data: ids.map((i) => Math.max(0, tot[i].demand - tot[i].served)) }] },
        columns: ['model', 'served output tokens', 'demand', 'revenue'], rows: ids.map((i) => [i, num(tot[i].served), num(tot[i].demand), usd(tot[i].revenue)]),
      };
    }));
    if (weeks.length) {
      entries.push(card(g, 'days', 'Day by day: chips and revenue', 'Allocated, idle and down chip-hours per day of the chosen week (stacked bars) and revenue (line, right axis, USD) under the chosen policy.', () => {
        const w = weeks[Number(week)];
        const d = cur().days.slice(w.from, w.from + 7);
        return {
          option: { grid: { left: 70, right: 70, top: 40, bottom: 60 }, legend: legend(), xAxis: xCat(d.map((x) => x.date), 'day'), yAxis: [yAxis('chip-hours'), yAxis('USD', usd, { splitLine: { show: false } })],
            series: [{ name: 'allocated', type: 'bar', stack: 'h', data: d.map((x) => x.allocated_chip_hours) }, { name: 'idle', type: 'bar', stack: 'h', data: d.map((x) => x.idle_chip_hours) },
              { name: 'down', type: 'bar', stack: 'h', data: d.map((x) => x.down_chip_hours) }, { name: 'revenue', type: 'line', yAxisIndex: 1, data: d.map((x) => x.revenue_usd) }] },
          columns: ['day', 'allocated chip-hours', 'idle', 'down', 'revenue'], rows: d.map((x) => [x.date, num(x.allocated_chip_hours), num(x.idle_chip_hours), num(x.down_chip_hours), usd(x.revenue_usd)]),
        };
      }, { wide: true }));
    }
  }

  // ---------- the monthly review ----------
  function viewReview(app, fig) {
    const rv = fig.review;
    const s = section(app, 'review', 'The monthly review: ' + rv.month + ' against ' + rv.previous_month,
      'Policy ' + rv.policy + '. ' + (Array.isArray(rv.narrative) ? rv.narrative.join(' ') : (rv.narrative || '')));
    const controls = el('div', { class: 'controls' });
    s.append(controls);
    let bridge = rv.bridges.length ? rv.bridges[0].name : null;
    const g = grid(s);
    const entries = [];
    if (bridge !== null) {
      control(controls, 'Bridge', rv.bridges.map((b) => ({ value: b.name, label: b.name })), (v) => { bridge = v; entries.forEach((e) => e.redraw()); }, bridge);
      entries.push(card(g, 'waterfall', 'Variance bridge', 'From last month\'s figure (left) to this month\'s (right): what each driver added (green) or took away (red).', () => {
        const b = rv.bridges.find((x) => x.name === bridge);
        const fmt = b.unit === 'usd' ? usd : b.unit === 'points' ? (v) => v.toFixed(2) + ' pts' : num;
        const cats = [rv.previous_month].concat(b.parts.map((p) => p.name), [rv.month]);
        const base = [], up = [], down = [], ends = [];
        let level = b.from;
        ends.push(b.from); base.push('-'); up.push('-'); down.push('-');
        for (const p of b.parts) {
          const next = level + p.amount;
          base.push(Math.min(level, next)); up.push(p.amount >= 0 ? p.amount : '-'); down.push(p.amount < 0 ? -p.amount : '-'); ends.push('-');
          level = next;
        }
        ends.push(b.to); base.push('-'); up.push('-'); down.push('-');
        const unit = b.unit === 'usd' ? 'USD' : b.unit === 'points' ? 'percentage points' : b.unit;
        return {
          option: {
            tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
            grid: { left: 80, right: 30, top: 40, bottom: 80 },
            legend: legend({ data: ['month', 'increase', 'decrease'] }),
            xAxis: xCat(cats, 'driver', { axisLabel: { interval: 0, rotate: cats.length > 6 ? 20 : 0 } }),
            yAxis: yAxis(b.name + ' (' + unit + ')', fmt, { scale: b.unit !== 'usd' }),
            series: [
              { name: 'base', type: 'bar', stack: 'w', data: base, itemStyle: { color: 'transparent' }, tooltip: { show: false } },
              { name: 'increase', type: 'bar', stack: 'w', data: up, itemStyle: { color: '#16a34a' }, label: { show: true, position: 'top', formatter: (v) => '+' + fmt(v.value) } },
              { name: 'decrease', type: 'bar', stack: 'w', data: down, itemStyle: { color: '#dc2626' }, label: { show: true, position: 'bottom', formatter: (v) => '-' + fmt(v.value) } },
              { name: 'month', type: 'bar', stack: 'w', data: ends, itemStyle: { color: '#475569' }, label: { show: true, position: 'top', formatter: (v) => fmt(v.value) } },
            ],
          },
          columns: ['step', 'amount', 'running total'],
          rows: (() => { let lv = b.from; const rows = [[rv.previous_month, fmt(b.from), fmt(b.from)]]; for (const p of b.parts) { lv += p.amount; rows.push([p.name, (p.amount >= 0 ? '+' : '') + fmt(p.amount), fmt(lv)]); } rows.push([rv.month, fmt(b.to), fmt(b.to)]); return rows; })(),
        };
      }, { wide: true }));
    }
    const kfmt = (k, v) => k.unit === 'usd' ? usd(v) : k.unit === 'share' ? pct(v) : k.unit === 'ratio' ? v.toFixed(3) : num(v);
    if (rv.contracts && rv.contracts.length)
      s.append(el('h3', { text: 'Compute cost by contract' }), table(['contract', 'cost ' + rv.previous_month, 'cost ' + rv.month, 'paid chip-hours ' + rv.previous_month, 'paid chip-hours ' + rv.month, 'volume effect', 'rate effect'],
        rv.contracts.map((c) => [c.contract, usd(c.previous_cost_usd), usd(c.cost_usd), num(c.previous_paid_chip_hours), num(c.paid_chip_hours), usd(c.volume_effect_usd), usd(c.rate_effect_usd)])));
    s.append(el('h3', { text: 'KPIs' }), table(['KPI', rv.previous_month, rv.month, 'change'], rv.kpis.map((k) => [k.name, kfmt(k, k.previous), kfmt(k, k.value), k.change_pct === null || k.change_pct === undefined ? '–' : k.change_pct.toFixed(1) + '%'])));
  }

  // ---------- unit economics ----------
  function viewEconomics(app, fig) {
    const e = fig.economics;
    const s = section(app, 'economics', 'Unit economics at ' + e.at,
      'What one chip-hour earns serving each model and what it costs (the contract\'s rate), as `fungible validate` computes it; the fleet\'s figures below.');
    const f = e.fleet;
    kpis(s, [['chips landed', num(f.chips_landed)], ['facility power', num(f.facility_megawatts) + ' MW'], ['token revenue / year', usd(f.usd_token_revenue_per_year)], ['compute cost / year', usd(f.usd_compute_cost_per_year)],
      ['revenue / compute cost', ratio(f.revenue_to_compute_cost)], ['inference gross margin (peak-sized)', pct(f.inference_gross_margin)], ['... charged by the hour (fungible)', pct(f.inference_gross_margin_fungible)]]);
    const g = grid(s);
    card(g, 'unit-economics', 'Revenue and cost per chip-hour, model × chip', 'USD per chip-hour: what serving each model on each chip type earns (tokens × blended price) against its cost; the margin is in the table.', () => {
      const labels = e.units.map((u) => u.model + ' on ' + u.chip_type);
      return {
        option: { legend: legend(), grid: { left: 70, right: 30, top: 40, bottom: 120 }, xAxis: xCat(labels, '', { axisLabel: { interval: 0, rotate: labels.length > 4 ? 25 : 0 } }), yAxis: yAxis('USD per chip-hour', (v) => '$' + compact(v)),
          series: [{ name: 'revenue', type: 'bar', data: e.units.map((u) => u.usd_revenue_per_chip_hour) }, { name: 'cost', type: 'bar', data: e.units.map((u) => u.usd_cost_per_chip_hour) }] },
        columns: ['model', 'chip type', 'output tokens/s per chip', 'source', 'revenue $/chip-h', 'cost $/chip-h', 'gross margin'],
        rows: e.units.map((u) => [u.model, u.chip_type, num(u.output_tokens_per_s_per_chip), u.throughput_from === 'spec' ? 'measured' : 'estimated', u.usd_revenue_per_chip_hour.toFixed(2), u.usd_cost_per_chip_hour.toFixed(2), pct(u.gross_margin)]),
      };
    }, { wide: true });
    if (e.warnings.length) s.append(el('ul', { class: 'warnings' }, ...e.warnings.map((w) => el('li', { text: w.field + ': ' + w.message }))));
  }

  // ---------- the live service (dashboard) ----------
  function viewLive(app, fig) {
    const l = fig.live;
    const s = section(app, 'live', 'The fleet now', 'From `fungible serve` at ' + l.now + ' (virtual clock of the service), refreshed every few seconds.');
    const states = Object.entries(l.jobs_by_state || {});
    kpis(s, [['pools', String(l.pools.length)], ['chips usable now', num(l.pools.reduce((a, p) => a + p.capacity_chips, 0))], ['chips in use', num(l.pools.reduce((a, p) => a + p.used_chips, 0))]]
      .concat(states.map(([k, v]) => ['jobs ' + k, String(v)])));
    const g = grid(s);
    card(g, 'live-pools', 'Pools: chips in use and free', 'Chips running admitted jobs and chips free on each pool now (stacked, chips).', () => ({
      option: { legend: legend(), grid: { left: 130, right: 30, top: 30, bottom: 60 }, yAxis: { type: 'category', data: l.pools.map((p) => p.id + ' (' + p.chip_type + ')'), inverse: true }, xAxis: { type: 'value', name: 'chips', nameLocation: 'middle', nameGap: 28, axisLabel: { formatter: num } },
        series: [{ name: 'in use', type: 'bar', stack: 'c', data: l.pools.map((p) => p.used_chips) }, { name: 'free', type: 'bar', stack: 'c', data: l.pools.map((p) => Math.max(0, p.capacity_chips - p.used_chips)) }] },
      columns: ['pool', 'chip type', 'usable chips', 'in use', 'utilization'], rows: l.pools.map((p) => [p.id, p.chip_type, num(p.capacity_chips), num(p.used_chips), p.capacity_chips > 0 ? pct(p.used_chips / p.capacity_chips) : '–']),
    }));
    card(g, 'live-jobs', 'Jobs by state', 'How many jobs the service holds in each state.', () => ({
      option: { xAxis: xCat(states.map((x) => x[0]), 'state'), yAxis: yAxis('jobs', num, { minInterval: 1 }), series: [{ name: 'jobs', type: 'bar', data: states.map((x) => x[1]), label: { show: true, position: 'top' } }] },
      columns: ['state', 'jobs'], rows: states.map((x) => [x[0], x[1]]),
    }));
    card(g, 'live-teams', 'Usage by team: the leaderboard', 'Chips each team\'s running jobs hold now against its quota (chips), most first.', () => {
      const t = l.teams.slice().sort((a, b) => b.used_chips - a.used_chips);
      return {
        option: { legend: legend(), grid: { left: 110, right: 40, top: 30, bottom: 60 }, yAxis: { type: 'category', data: t.map((x) => x.team), inverse: true }, xAxis: { type: 'value', name: 'chips', nameLocation: 'middle', nameGap: 28, axisLabel: { formatter: num } },
          series: [{ name: 'in use', type: 'bar', data: t.map((x) => x.used_chips) }, { name: 'quota', type: 'bar', data: t.map((x) => x.quota_chips) }] },
        columns: ['rank', 'team', 'chips in use', 'quota chips', 'running jobs'], rows: t.map((x, i) => [i + 1, x.team, num(x.used_chips), num(x.quota_chips), x.running_jobs]),
      };
    });
    if (l.quota && l.quota.length && l.periods.length) {
      card(g, 'live-quota', 'The quota plan: chips per team per period', 'Chips the current quota plan gives each team (all chip types, stacked) in each of its periods; the current period is marked.', () => ({
        option: { legend: legend(), grid: { left: 70, right: 30, top: 40, bottom: 90 }, xAxis: xCat(l.periods.map(hourLabel), 'period start (UTC)'), yAxis: yAxis('chips'),
          series: l.quota.map((q, i) => ({ name: q.team, type: 'bar', stack: 'q', data: q.chips,
            markLine: i === 0 && l.current_period >= 0 ? { symbol: 'none', label: { formatter: 'now' }, lineStyle: { color: '#111827' }, data: [{ xAxis: hourLabel(l.periods[l.current_period]) }] } : undefined })) },
        columns: ['period start'].concat(l.quota.map((q) => q.team)), rows: l.periods.map((h, i) => [h].concat(l.quota.map((q) => num(q.chips[i])))),
      }), { wide: true });
    }
  }

  const VIEWS = [['live', viewLive], ['cone', viewCone], ['layer_cake', viewLayerCake], ['plan', viewPlan], ['evaluate', viewEvaluate],
    ['allocation', viewAllocation], ['run', viewRun], ['review', viewReview], ['economics', viewEconomics]];

  function render(fig) {
    const app = document.getElementById('app');
    for (const c of charts.splice(0)) c.chart.dispose();
    app.textContent = '';
    const toc = document.getElementById('toc');
    if (toc) toc.textContent = '';
    if (fig.fungible_report !== 1) {
      app.append(el('p', { class: 'error', text: 'This page needs figures of format 1; it got ' + fig.fungible_report + '.' }));
      return;
    }
    for (const [key, view] of VIEWS) if (fig[key]) view(app, fig);
    if (fig.inputs) app.append(el('footer', {}, el('p', { text: 'Made by fungible report from ' + Object.entries(fig.inputs).map(([k, v]) => k + ' ' + v).join(', ') + '.' })));
  }
  window.fungibleRender = render;
  window.addEventListener('resize', () => charts.forEach((c) => c.chart.resize()));

  // ---------- dashboard mode ----------
  function dashboard(config) {
    const app = document.getElementById('app');
    const KEY = 'fungible-token';
    const status = el('p', { class: 'status', id: 'status' });
    function askToken(message) {
      app.textContent = '';
      const input = el('input', { type: 'password', id: 'token', autocomplete: 'off', placeholder: 'bearer token' });
      const form = el('form', { class: 'login' }, el('p', { text: message }), input, el('button', { type: 'submit', text: 'Show the fleet' }));
      form.addEventListener('submit', (ev) => { ev.preventDefault(); sessionStorage.setItem(KEY, input.value.trim()); poll(); });
      app.append(form);
    }
    let timer = null;
    let shown = null;
    async function poll() {
      clearTimeout(timer);
      const token = sessionStorage.getItem(KEY);
      if (!token) { askToken('A token (any role, viewer included) is needed to see the fleet. It is kept in this tab only.'); return; }
      let res;
      try {
        res = await fetch(config.data, { headers: { Authorization: 'Bearer ' + token }, cache: 'no-store' });
      } catch (err) {
        status.textContent = 'The service did not answer; retrying.';
        timer = setTimeout(poll, 1000 * config.refresh_seconds);
        return;
      }
      if (res.status === 401 || res.status === 403) {
        sessionStorage.removeItem(KEY);
        askToken(res.status === 401 ? 'That token was not accepted (unknown, revoked or expired). Try another.' : 'That token may not read the fleet.');
        return;
      }
      if (!res.ok) { status.textContent = 'The service answered ' + res.status + '; retrying.'; timer = setTimeout(poll, 1000 * config.refresh_seconds); return; }
      const fig = await res.json();
      const text = JSON.stringify(fig);
      if (text !== shown) {  // redraw only when something changed
        shown = text;
        const y = window.scrollY;
        render(fig);
        window.scrollTo(0, y);
      }
      status.textContent = 'Updated ' + new Date().toISOString().slice(0, 19) + 'Z; refreshing every ' + config.refresh_seconds + ' s.';
      if (!status.isConnected) document.querySelector('header').append(status);
      document.body.dataset.loaded = 'true';
      timer = setTimeout(poll, 1000 * config.refresh_seconds);
    }
    poll();
  }

  const figures = document.getElementById('fungible-figures');
  const dash = document.getElementById('fungible-dashboard');
  if (figures) {
    render(JSON.parse(figures.textContent));
    document.body.dataset.loaded = 'true';
  } else if (dash) {
    dashboard(JSON.parse(dash.textContent));
  }
})();
