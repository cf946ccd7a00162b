/**
 * Draws a machine definition (`GET /api/v1/ui/machines`) as a statechart: states are boxes
 * (compound states contain their children), transitions are arrows labelled with the event that
 * triggers them. Positions come from ELK's layered layout, never from hand-placed coordinates.
 */
const SVG = 'http://www.w3.org/2000/svg';
const CHAR_W = 6.8;
const LINE_H = 14;

let elkPromise = null;
/** Loads the vendored ELK bundle once (a classic script defining `ELK`). */
function loadElk() {
  elkPromise ??= new Promise((resolve, reject) => {
    if (globalThis.ELK) return resolve(new globalThis.ELK());
    const script = document.createElement('script');
    script.src = new URL('../vendor/elk.bundled.js', import.meta.url).href;
    script.onload = () => resolve(new globalThis.ELK());
    script.onerror = () => reject(new Error('could not load the graph layout library'));
    document.head.append(script);
  });
  return elkPromise;
}

const textWidth = (text) => Math.ceil(text.length * CHAR_W) + 20;

/** State paths (`a`, `a.b`) of a node, from keys and parents; state values use the same paths. */
export function nodePaths(definition) {
  const byId = new Map(definition.nodes.map((n) => [n.id, n]));
  const paths = new Map();
  const pathOf = (node) => {
    if (paths.has(node.id)) return paths.get(node.id);
    const parent = node.parentId ? byId.get(node.parentId) : null;
    const path = !parent ? '' : parent.parentId ? `${pathOf(parent)}.${node.key}` : node.key;
    paths.set(node.id, path);
    return path;
  };
  for (const node of definition.nodes) pathOf(node);
  return paths;
}

/** Every active state path of a state value: `{ a: 'b' }` → `a`, `a.b`. */
export function activePaths(value, prefix = '') {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  return Object.entries(value).flatMap(([key, inner]) => {
    const here = prefix ? `${prefix}.${key}` : key;
    return [here, ...activePaths(inner, here)];
  });
}

function nodeLines(node, definition) {
  const lines = [];
  for (const src of node.invoke) lines.push(`runs ${src}`);
  if (node.parentId) {
    for (const t of definition.transitions) if (t.source === node.id && t.targets.length === 0) lines.push(`on ${t.event}`);
  }
  return lines;
}

/** The ELK graph of a definition: compound states hold their children; all edges at the top. */
export function elkGraph(definition) {
  const children = new Map();
  for (const node of definition.nodes) {
    const list = children.get(node.parentId) ?? [];
    list.push(node);
    children.set(node.parentId, list);
  }
  const edges = [];
  const build = (node) => {
    const kids = children.get(node.id) ?? [];
    const lines = nodeLines(node, definition);
    const label = node.parentId ? node.key : definition.machineId;
    if (kids.length === 0) {
      return { id: node.id, width: Math.max(textWidth(label), ...lines.map(textWidth), 70), height: 30 + lines.length * LINE_H };
    }
    const elkChildren = kids.map(build);
    if (node.initial) {
      elkChildren.push({ id: `${node.id}#initial`, width: 10, height: 10 });
      edges.push({ id: `${node.id}#initial-edge`, sources: [`${node.id}#initial`], targets: [node.initial], labels: [] });
    }
    const top = 30 + lines.length * LINE_H;
    return {
      id: node.id,
      children: elkChildren,
      layoutOptions: { 'elk.padding': `[top=${top},left=14,bottom=14,right=14]` },
    };
  };
  const root = definition.nodes.find((n) => n.parentId === null);
  definition.transitions.forEach((t, i) => {
    for (const target of t.targets) {
      const text = t.guard ? `${t.event} [${t.guard}]` : t.event;
      edges.push({ id: `t${i}-${target}`, sources: [t.source], targets: [target], labels: [{ text, width: textWidth(text) - 10, height: LINE_H }] });
    }
  });
  return {
    id: '#graph',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '60',
      'elk.spacing.nodeNode': '28',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeRouting': 'POLYLINE',
    },
    children: [build(root)],
    edges,
  };
}

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Lays out and draws `definition`; returns `{ svg, size, activeBox(), highlight(stateValue) }`. */
export async function drawStatechart(definition) {
  const elk = await loadElk();
  const laid = await elk.layout(elkGraph(definition));
  const byId = new Map(definition.nodes.map((n) => [n.id, n]));
  const paths = nodePaths(definition);
  const absolute = new Map();
  const groups = new Map();
  const svg = el('svg', { width: laid.width + 4, height: laid.height + 4, role: 'img', 'aria-label': `Statechart of ${definition.machineId}` });
  svg.append(el('title', {}, `Statechart of the ${definition.machineId} machine`));
  const defs = el('defs');
  const marker = el('marker', { id: `arrow-${definition.machineId}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'initial' }));
  defs.append(marker);
  svg.append(defs);
  const nodesLayer = el('g');
  const edgesLayer = el('g');
  svg.append(nodesLayer, edgesLayer);

  const place = (node, ox, oy) => {
    const x = ox + (node.x ?? 0);
    const y = oy + (node.y ?? 0);
    absolute.set(node.id, { x, y });
    if (node.id.endsWith('#initial')) {
      nodesLayer.append(el('circle', { cx: x + 5, cy: y + 5, r: 5, class: 'initial' }));
    } else if (node.id !== '#graph') {
      const def = byId.get(node.id);
      const g = el('g', { class: `node ${def.type}${node.children?.length ? ' compound' : ''}`, 'data-state-id': def.id, 'data-state-path': paths.get(def.id) });
      g.append(el('rect', { x, y, width: node.width, height: node.height, rx: 8 }));
      if (def.type === 'final') g.append(el('rect', { x: x + 3, y: y + 3, width: node.width - 6, height: node.height - 6, rx: 6, class: 'inner' }));
      g.append(el('text', { x: x + 10, y: y + 19, class: 'key' }, def.parentId ? def.key : definition.machineId));
      nodeLines(def, definition).forEach((line, i) => g.append(el('text', { x: x + 10, y: y + 19 + (i + 1) * LINE_H, class: 'sub' }, line)));
      if (def.description) g.append(el('title', {}, def.description));
      nodesLayer.append(g);
      groups.set(def.id, g);
    }
    for (const child of node.children ?? []) place(child, x, y);
  };
  place(laid, 0, 0);

  for (const edge of laid.edges ?? []) {
    const base = edge.container && absolute.has(edge.container) ? absolute.get(edge.container) : { x: 0, y: 0 };
    const g = el('g', { class: 'edge' });
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      const d = points.map((p, i) => `${i ? 'L' : 'M'} ${p.x + base.x} ${p.y + base.y}`).join(' ');
      g.append(el('path', { d, 'marker-end': `url(#arrow-${definition.machineId})` }));
    }
    for (const label of edge.labels ?? []) {
      const x = (label.x ?? 0) + base.x;
      const y = (label.y ?? 0) + base.y;
      g.append(el('rect', { x: x - 2, y, width: label.width + 4, height: label.height, rx: 3 }));
      g.append(el('text', { x, y: y + 11 }, label.text));
    }
    edgesLayer.append(g);
  }

  return {
    svg,
    size: { width: laid.width + 4, height: laid.height + 4 },
    /** The box around the innermost active state of `value`, in drawing units (for "show current state"). */
    activeBox() {
      const active = [...groups.values()].filter((g) => g.classList.contains('active') && !g.classList.contains('compound'));
      const rect = (active[0] ?? [...groups.values()].find((g) => g.classList.contains('active')))?.querySelector('rect');
      return rect ? { x: Number(rect.getAttribute('x')), y: Number(rect.getAttribute('y')), width: Number(rect.getAttribute('width')), height: Number(rect.getAttribute('height')) } : null;
    },
    /** Marks the states of `value` active; returns the paths it marked. */
    highlight(value) {
      const active = new Set(activePaths(value));
      for (const [id, g] of groups) {
        const on = active.has(paths.get(id));
        g.classList.toggle('active', on);
        if (on) g.setAttribute('aria-current', 'true');
        else g.removeAttribute('aria-current');
      }
      return [...active];
    },
  };
}
