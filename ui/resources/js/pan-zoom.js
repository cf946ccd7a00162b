/**
 * Fit, zoom and pan for an SVG drawing of a known size, by moving its viewBox: the drawing always
 * fills its panel's width and is never cut off. Wheel zooms around the pointer, dragging pans,
 * and the keyboard does both when the drawing has focus (+ − 0 and the arrows).
 */
const MIN_SCALE = 0.2;
const MAX_SCALE = 4;

export function panZoom(svg, { width, height }) {
  let view = { x: 0, y: 0, w: width, h: height };
  const apply = () => svg.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  /** Zoom relative to the fitted drawing: 1 shows all of it. */
  const scale = () => width / view.w;
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.dataset.contentWidth = String(width);
  svg.dataset.contentHeight = String(height);

  const fit = () => {
    view = { x: 0, y: 0, w: width, h: height };
    apply();
  };
  const zoomAt = (factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) => {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale() * factor));
    const w = width / next;
    const h = height / next;
    view = { x: cx - ((cx - view.x) * w) / view.w, y: cy - ((cy - view.y) * h) / view.h, w, h };
    apply();
  };
  const panBy = (dx, dy) => {
    view = { ...view, x: view.x + dx, y: view.y + dy };
    apply();
  };
  /** Shows `box` (drawing coordinates) at the centre, at least at natural size. */
  const focus = (box) => {
    const w = Math.max(box.width * 1.6, Math.min(width, view.w));
    const h = (w * height) / width;
    view = { x: box.x + box.width / 2 - w / 2, y: box.y + box.height / 2 - h / 2, w, h };
    apply();
  };
  /** Client pixels → drawing units, for wheel and drag. */
  const toDrawing = (clientX, clientY) => {
    const point = svg.createSVGPoint();
    point.x = clientX;
    point.y = clientY;
    const m = svg.getScreenCTM();
    return m ? point.matrixTransform(m.inverse()) : { x: view.x, y: view.y };
  };

  svg.addEventListener('wheel', (event) => {
    event.preventDefault();
    const p = toDrawing(event.clientX, event.clientY);
    zoomAt(event.deltaY < 0 ? 1.15 : 1 / 1.15, p.x, p.y);
  }, { passive: false });
  let drag = null;
  svg.addEventListener('pointerdown', (event) => {
    drag = { id: event.pointerId, from: toDrawing(event.clientX, event.clientY) };
    svg.setPointerCapture(event.pointerId);
    svg.classList.add('panning');
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    const at = toDrawing(event.clientX, event.clientY);
    panBy(drag.from.x - at.x, drag.from.y - at.y);
  });
  const endDrag = () => {
    drag = null;
    svg.classList.remove('panning');
  };
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', endDrag);
  svg.setAttribute('tabindex', '0');
  svg.addEventListener('keydown', (event) => {
    const step = view.w / 10;
    const keys = {
      '+': () => zoomAt(1.25), '=': () => zoomAt(1.25), '-': () => zoomAt(0.8), '0': fit,
      ArrowLeft: () => panBy(-step, 0), ArrowRight: () => panBy(step, 0), ArrowUp: () => panBy(0, -step), ArrowDown: () => panBy(0, step),
    };
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
  fit();
  return { fit, zoomIn: () => zoomAt(1.25), zoomOut: () => zoomAt(0.8), focus, scale };
}
