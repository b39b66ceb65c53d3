// The script of the HTML report, run in the reader's browser. It reads the report data from a
// JSON script element and builds every element with textContent and attributes, never by parsing
// markup, so nothing in an image name or tag can become markup or script. No library, no network.

export const CLIENT_SCRIPT = String.raw`
(function () {
  'use strict';
  var started = performance.now();
  var data = JSON.parse(document.getElementById('ami-guard-data').textContent);
  var images = data.images;
  var SVG = 'http://www.w3.org/2000/svg';
  var PAGE = 200;
  var shown = PAGE;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var key in attrs) if (Object.prototype.hasOwnProperty.call(attrs, key)) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    for (var key in attrs) if (Object.prototype.hasOwnProperty.call(attrs, key)) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function uniqueSorted(values) {
    var seen = {};
    var out = [];
    values.forEach(function (value) { if (!Object.prototype.hasOwnProperty.call(seen, value)) { seen[value] = true; out.push(value); } });
    return out.sort();
  }

  // ---- the table: sort and filter -------------------------------------------------------------
  var filters = {
    text: document.getElementById('filter-text'),
    verdict: document.getElementById('filter-verdict'),
    region: document.getElementById('filter-region'),
    family: document.getElementById('filter-family'),
    reason: document.getElementById('filter-reason')
  };
  function fill(select, values) {
    values.forEach(function (value) { select.appendChild(el('option', { value: value }, value)); });
  }
  fill(filters.region, uniqueSorted(images.map(function (i) { return i.region; })));
  fill(filters.family, uniqueSorted(images.map(function (i) { return i.family; })));
  fill(filters.reason, uniqueSorted([].concat.apply([], images.map(function (i) { return i.codes; }))));

  var columns = [
    { key: 'id', label: 'image', value: function (i) { return i.id; } },
    { key: 'account', label: 'account', value: function (i) { return i.account; }, org: true },
    { key: 'region', label: 'region', value: function (i) { return i.region; } },
    { key: 'family', label: 'family', value: function (i) { return i.family; } },
    { key: 'name', label: 'name', value: function (i) { return i.name; } },
    { key: 'age', label: 'age (days)', value: function (i) { return i.age === null ? -1 : i.age; }, numeric: true },
    { key: 'launch', label: 'last launched', value: function (i) { return i.lastLaunch; } },
    { key: 'verdict', label: 'verdict', value: function (i) { return i.verdict; } },
    { key: 'why', label: 'why', value: function (i) { return i.why.join('; '); } }
  ].filter(function (c) { return !c.org || data.organization; });
  var sort = { key: 'verdict', ascending: false };
  var VERDICT_ORDER = { unverified: 0, blocked: 1, safe: 2 };

  var head = document.getElementById('images-head');
  var headRow = el('tr');
  columns.forEach(function (column) {
    var th = el('th', { scope: 'col', 'data-key': column.key });
    var button = el('button', { type: 'button' }, column.label);
    button.addEventListener('click', function () {
      sort = { key: column.key, ascending: sort.key === column.key ? !sort.ascending : true };
      shown = PAGE;
      render();
    });
    th.appendChild(button);
    headRow.appendChild(th);
  });
  head.appendChild(headRow);

  function matches(image) {
    var text = filters.text.value.trim().toLowerCase();
    if (filters.verdict.value && image.verdict !== filters.verdict.value) return false;
    if (filters.region.value && image.region !== filters.region.value) return false;
    if (filters.family.value && image.family !== filters.family.value) return false;
    if (filters.reason.value && image.codes.indexOf(filters.reason.value) < 0) return false;
    if (text && image.search.indexOf(text) < 0) return false;
    return true;
  }
  function compare(a, b) {
    var column = columns.filter(function (c) { return c.key === sort.key; })[0];
    var x = sort.key === 'verdict' ? VERDICT_ORDER[a.verdict] : column.value(a);
    var y = sort.key === 'verdict' ? VERDICT_ORDER[b.verdict] : column.value(b);
    if (sort.key === 'verdict') { x = -x; y = -y; }
    var order = column.numeric || sort.key === 'verdict' ? x - y : String(x).localeCompare(String(y));
    return (sort.ascending ? order : -order) || a.id.localeCompare(b.id);
  }
  images.forEach(function (image) {
    image.search = [image.id, image.account, image.name, image.family, image.why.join(' ')].join(' ').toLowerCase();
  });

  var body = document.getElementById('images-body');
  var count = document.getElementById('shown-count');
  var more = document.getElementById('show-more');
  function render() {
    var rows = images.filter(matches).sort(compare);
    var fragment = document.createDocumentFragment();
    rows.slice(0, shown).forEach(function (image) {
      var tr = el('tr', { 'data-verdict': image.verdict, 'data-image': image.id });
      columns.forEach(function (column) {
        var td = el('td');
        if (column.key === 'why') {
          image.why.forEach(function (line) { td.appendChild(el('div', {}, line)); });
        } else if (column.key === 'verdict') {
          td.appendChild(el('span', { class: 'verdict ' + image.verdict }, image.verdict));
        } else {
          td.textContent = column.key === 'age' ? (image.age === null ? '-' : String(image.age)) : column.value(image);
        }
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    count.textContent = 'Showing ' + Math.min(shown, rows.length) + ' of ' + rows.length + ' matching images (' + images.length + ' in all).';
    more.hidden = rows.length <= shown;
    Array.prototype.forEach.call(head.querySelectorAll('th'), function (th) {
      th.setAttribute('aria-sort', th.getAttribute('data-key') === sort.key ? (sort.ascending ? 'ascending' : 'descending') : 'none');
    });
  }
  Object.keys(filters).forEach(function (key) {
    filters[key].addEventListener(key === 'text' ? 'input' : 'change', function () { shown = PAGE; render(); });
  });
  more.addEventListener('click', function () { shown += PAGE * 5; render(); });
  document.getElementById('filter-reset').addEventListener('click', function () {
    Object.keys(filters).forEach(function (key) { filters[key].value = ''; });
    shown = PAGE;
    render();
  });

  // ---- the lineage graph, one per family, drawn when its group is opened -------------------------
  var COLORS = { safe: '#2e7d32', blocked: '#c62828', unverified: '#ef6c00', other: '#9e9e9e', 'in-use': '#1565c0', resource: '#5c6bc0' };
  var ROW = 24;
  var COLUMN = 320;
  var LABEL_CHARS = 38;
  var CHAR_WIDTH = 6.7;
  var RESOURCES_PER_IMAGE = 4;

  function keyOf(region, id) { return region + '/' + id; }

  function familyGraph(members) {
    var nodes = {};
    var order = [];
    var parentOf = {};
    function node(key, fields) {
      if (!nodes[key]) { nodes[key] = fields; order.push(key); }
      else if (fields.kind === 'image') nodes[key] = fields;
      return nodes[key];
    }
    members.forEach(function (image) {
      var key = keyOf(image.region, image.id);
      node(key, { kind: 'image', label: image.id + ' ' + image.region, title: image.id + ' (' + image.name + ') ' + image.region + ': ' + image.verdict + '\n' + image.why.join('\n'), color: COLORS[image.verdict], id: image.id, account: image.account, region: image.region });
      image.lineage.forEach(function (entry, index) {
        var entryKey = keyOf(entry.region, entry.id);
        if (index > 0) {
          node(entryKey, { kind: 'ancestor', label: entry.id + ' ' + entry.region, title: entry.id + (entry.name ? ' (' + entry.name + ')' : '') + ' ' + entry.region + ': not a candidate of this run', color: COLORS.other, id: entry.id, account: entry.owner || image.account, region: entry.region });
          var childKey = keyOf(image.lineage[index - 1].region, image.lineage[index - 1].id);
          if (!parentOf[childKey]) parentOf[childKey] = { key: entryKey, kind: 'copy' };
        }
      });
      image.inUse.forEach(function (user) {
        var userKey = keyOf(user.region, user.id);
        node(userKey, { kind: 'in-use', label: user.id + ' ' + user.region + ' (in use)', title: user.id + ' ' + user.region + ': an image in use that descends from ' + image.id, color: COLORS['in-use'], id: user.id, account: image.account, region: user.region });
        if (!parentOf[userKey]) parentOf[userKey] = { key: key, kind: 'descends' };
      });
      image.resources.slice(0, RESOURCES_PER_IMAGE).forEach(function (resource, index) {
        var resourceKey = key + '#' + index;
        node(resourceKey, { kind: 'resource', label: resource.label, title: resource.title, color: COLORS.resource });
        parentOf[resourceKey] = { key: key, kind: 'uses' };
      });
      if (image.resources.length > RESOURCES_PER_IMAGE) {
        var restKey = key + '#more';
        node(restKey, { kind: 'resource', label: '+' + (image.resources.length - RESOURCES_PER_IMAGE) + ' more', title: image.resources.slice(RESOURCES_PER_IMAGE).map(function (r) { return r.title; }).join('\n'), color: COLORS.resource });
        parentOf[restKey] = { key: key, kind: 'uses' };
      }
    });
    // a tree per root: depth is the column, rows are handed out depth first
    var children = {};
    order.forEach(function (key) {
      var parent = parentOf[key];
      if (parent && nodes[parent.key] && parent.key !== key) (children[parent.key] = children[parent.key] || []).push(key);
      else delete parentOf[key];
    });
    var row = 0;
    var depth = 0;
    var placed = {};
    function place(key, level) {
      if (placed[key]) return;
      placed[key] = true;
      nodes[key].column = level;
      depth = Math.max(depth, level);
      var kids = children[key] || [];
      if (kids.length === 0) { nodes[key].row = row; row += 1; return; }
      kids.forEach(function (kid) { place(kid, level + 1); });
      nodes[key].row = nodes[kids[0]].row;
    }
    order.forEach(function (key) { if (!parentOf[key]) place(key, 0); });
    order.forEach(function (key) { if (!placed[key]) place(key, 0); });
    return { nodes: nodes, order: order, parentOf: parentOf, rows: row, depth: depth };
  }

  function drawGraph(container, members) {
    var graph = familyGraph(members);
    var width = (graph.depth + 1) * COLUMN + 20;
    var height = graph.rows * ROW + 10;
    var root = svg('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', class: 'lineage' });
    root.appendChild(svg('title', {}, 'Lineage of family ' + members[0].family));
    function at(n) { return { x: 10 + n.column * COLUMN, y: 5 + n.row * ROW + ROW / 2 }; }
    graph.order.forEach(function (key) {
      var parent = graph.parentOf[key];
      if (!parent) return;
      var from = at(graph.nodes[parent.key]);
      var to = at(graph.nodes[key]);
      var a = graph.nodes[parent.key];
      var b = graph.nodes[key];
      var style = 'edge ' + parent.kind;
      if (parent.kind !== 'uses' && a.region !== b.region) style += ' cross-region';
      if (parent.kind !== 'uses' && a.account && b.account && a.account !== b.account) style += ' cross-account';
      // from the end of the parent's label, so that no line crosses a label
      var start = from.x + 16 + Math.min(a.label.length, LABEL_CHARS) * CHAR_WIDTH;
      var mid = (start + to.x) / 2;
      root.appendChild(svg('path', { d: 'M' + start + ' ' + from.y + ' C' + mid + ' ' + from.y + ' ' + mid + ' ' + to.y + ' ' + (to.x - 3) + ' ' + to.y, class: style }));
    });
    graph.order.forEach(function (key) {
      var n = graph.nodes[key];
      var p = at(n);
      var group = svg('g', { class: 'node ' + n.kind, transform: 'translate(' + p.x + ' ' + p.y + ')' });
      if (n.id) group.setAttribute('data-image', n.id);
      group.appendChild(svg('title', {}, n.title));
      group.appendChild(n.kind === 'resource'
        ? svg('rect', { x: 0, y: -5, width: 10, height: 10, fill: n.color })
        : svg('circle', { cx: 4, cy: 0, r: 6, fill: n.color, stroke: n.kind === 'in-use' ? '#0d47a1' : '#ffffff', 'stroke-width': 1.5 }));
      group.appendChild(svg('text', { x: 14, y: 4 }, n.label.length > LABEL_CHARS ? n.label.slice(0, LABEL_CHARS - 1) + '\u2026' : n.label));
      if (n.kind === 'image' || n.kind === 'ancestor') {
        group.addEventListener('click', function () {
          filters.text.value = n.id;
          shown = PAGE;
          render();
          document.getElementById('images').scrollIntoView();
        });
      }
      root.appendChild(group);
    });
    container.replaceChildren(root);
    if (!document.documentElement.hasAttribute('data-graph-ms')) {
      document.documentElement.setAttribute('data-graph-ms', String(Math.round(performance.now())));
    }
  }

  var families = {};
  images.forEach(function (image) { (families[image.family] = families[image.family] || []).push(image); });
  var attention = function (members) { return members.filter(function (i) { return i.verdict !== 'safe'; }).length; };
  var names = Object.keys(families).sort(function (a, b) { return attention(families[b]) - attention(families[a]) || a.localeCompare(b); });
  var graphs = document.getElementById('graphs');
  names.forEach(function (name, index) {
    var members = families[name];
    var counts = ['unverified', 'blocked', 'safe'].map(function (verdict) {
      var n = members.filter(function (i) { return i.verdict === verdict; }).length;
      return n > 0 ? n + ' ' + verdict : '';
    }).filter(Boolean).join(', ');
    var details = el('details', { class: 'family', 'data-family': name });
    details.appendChild(el('summary', {}, (name || '(no family)') + ' \u2014 ' + counts));
    var container = el('div', { class: 'graph' });
    details.appendChild(container);
    details.addEventListener('toggle', function () {
      if (details.open && !container.firstChild) drawGraph(container, members);
    });
    graphs.appendChild(details);
    if (index < 3) details.open = true;
  });

  render();
  document.documentElement.setAttribute('data-ready', 'true');
  // since navigation start: what the reader waits for, parsing included
  document.documentElement.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.documentElement.setAttribute('data-script-ms', String(Math.round(performance.now() - started)));
})();
`;
