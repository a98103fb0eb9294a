// The front/back body chart (templates/components/body_chart.html), made interactive.
// BodyChart.attach(root, {onPick, onMarker}) calls onPick({view, region, side, label, x, y, muscle})
// when a region is clicked, tapped or activated with Enter/Space (x/y normalised 0-1 on that view;
// `muscle` is the catalogue slug of the muscle under the finger, absent where the shape is no one
// muscle or the chart is the patient's), and onMarker(key) when a marker is picked. It returns helpers to draw and clear markers and to mark
// regions as selected.
(function () {
  "use strict";
  const SVG_NS = "http://www.w3.org/2000/svg";

  function normalised(svg, clientX, clientY) {
    const point = svg.createSVGPoint();
    point.x = clientX;
    point.y = clientY;
    const local = point.matrixTransform(svg.getScreenCTM().inverse());
    const box = svg.viewBox.baseVal;
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return { x: clamp(local.x / box.width), y: clamp(local.y / box.height) };
  }

  // Where a keyboard pick lands: the point inside the shape the chart gives (data-x/data-y).
  function centre(shape) {
    return { x: Number(shape.dataset.x), y: Number(shape.dataset.y) };
  }

  function attach(root, { onPick = () => {}, onMarker = () => {} } = {}) {
    const views = {};
    root.querySelectorAll("svg[data-view]").forEach((svg) => {
      views[svg.dataset.view] = svg;
      const pick = (shape, xy) =>
        onPick({
          view: svg.dataset.view,
          region: shape.dataset.region,
          side: shape.dataset.side,
          label: shape.dataset.label,
          x: Math.round(xy.x * 1000) / 1000,
          y: Math.round(xy.y * 1000) / 1000,
          ...(shape.dataset.muscle ? { muscle: shape.dataset.muscle } : {}),
        });
      svg.addEventListener("click", (event) => {
        const marker = event.target.closest(".marker");
        if (marker) return onMarker(marker.dataset.key);
        const shape = event.target.closest(".region");
        if (shape) pick(shape, normalised(svg, event.clientX, event.clientY));
      });
      svg.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        const marker = event.target.closest(".marker");
        const shape = event.target.closest(".region");
        if (!marker && !shape) return;
        event.preventDefault();
        if (marker) onMarker(marker.dataset.key);
        else pick(shape, centre(shape));
      });
    });

    // A larger chart: one view as wide as the column (phones always get it, from the stylesheet).
    const zoom = root.querySelector(".body-chart__zoom");
    if (zoom) {
      zoom.hidden = false;
      zoom.addEventListener("click", () => {
        const zoomed = root.classList.toggle("body-chart--zoomed");
        zoom.setAttribute("aria-pressed", zoomed ? "true" : "false");
      });
    }

    function addMarker({ key, view, x, y, label = "", className = "" }) {
      const svg = views[view];
      if (!svg) return null;
      const box = svg.viewBox.baseVal;
      const marker = document.createElementNS(SVG_NS, "circle");
      marker.setAttribute("class", `marker ${className}`.trim());
      marker.setAttribute("cx", x * box.width);
      marker.setAttribute("cy", y * box.height);
      marker.setAttribute("r", 5);
      marker.dataset.key = key;
      if (label) {
        marker.setAttribute("tabindex", "0");
        marker.setAttribute("role", "button");
        marker.setAttribute("aria-label", label);
        const title = document.createElementNS(SVG_NS, "title");
        title.textContent = label;
        marker.appendChild(title);
      }
      svg.querySelector(".markers").appendChild(marker);
      return marker;
    }

    function clearMarkers(className) {
      const selector = className ? `.marker.${className}` : ".marker";
      root.querySelectorAll(selector).forEach((m) => m.remove());
    }

    function setSelected(region, side, selected, text) {
      root
        .querySelectorAll(`.region[data-region="${region}"][data-side="${side}"]`)
        .forEach((shape) => {
          shape.classList.toggle("selected", selected);
          shape.setAttribute("aria-pressed", selected ? "true" : "false");
          if (text !== undefined) shape.dataset.score = text;
        });
    }

    return { addMarker, clearMarkers, setSelected };
  }

  window.BodyChart = { attach };
})();
