// The 3D harm map's front end: an anywidget module. deck.gl is bundled in (no CDN, no tiles,
// no web worker, no WebAssembly), so the map draws with the network cut off. Python sends the
// columns (outline, harm, colour) and the view; this file only draws them.
import { Deck, MapView } from "@deck.gl/core";
import { PathLayer, SolidPolygonLayer } from "@deck.gl/layers";

function layers(model) {
  const cols = model.get("columns") || { polygons: [], values: [], colours: [], labels: [] };
  const rows = cols.values.map((v, i) => ({
    polygon: cols.polygons[i],
    value: v,
    colour: cols.colours[i],
    label: cols.labels[i],
  }));
  const outlines = (model.get("outlines") || []).map((path) => ({ path }));
  return [
    new SolidPolygonLayer({
      id: "harm-columns",
      data: rows,
      extruded: true,
      wireframe: false,
      pickable: true,
      getPolygon: (d) => d.polygon,
      getElevation: (d) => d.value,
      getFillColor: (d) => d.colour,
      elevationScale: model.get("elevation_scale"),
      material: { ambient: 0.45, diffuse: 0.6, shininess: 16, specularColor: [40, 40, 40] },
      updateTriggers: { getElevation: model.get("generation") },
    }),
    new PathLayer({
      id: "outlines",
      data: outlines,
      getPath: (d) => d.path,
      getColor: [20, 20, 20, 220],
      getWidth: 2,
      widthUnits: "pixels",
    }),
  ];
}

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "hspwork-harm3d";
  box.style.position = "relative";
  box.style.width = "100%";
  box.style.height = `${model.get("height_px")}px`;
  box.style.background = "#f4f4f0";
  const caption = document.createElement("div");
  caption.className = "hspwork-harm3d-caption";
  caption.style.cssText =
    "position:absolute;left:8px;top:6px;z-index:2;font:12px sans-serif;background:rgba(255,255,255,.85);padding:2px 6px;pointer-events:none";
  box.appendChild(caption);
  el.appendChild(box);

  const deck = new Deck({
    parent: box,
    views: new MapView({ repeat: false }),
    initialViewState: model.get("view"),
    controller: { dragRotate: true, touchRotate: true },
    layers: layers(model),
    getTooltip: ({ object }) => object && object.label,
    onAfterRender: () => {
      // Tell Python the map has drawn (the count grows with every frame drawn).
      if (!model.get("frames")) {
        model.set("frames", 1);
        model.save_changes();
      }
    },
  });

  const update = () => {
    caption.textContent = model.get("caption");
    deck.setProps({ layers: layers(model) });
  };
  const move = () => {
    deck.setProps({ initialViewState: { ...model.get("view"), transitionDuration: 600 } });
  };
  update();
  model.on("change:columns", update);
  model.on("change:outlines", update);
  model.on("change:elevation_scale", update);
  model.on("change:caption", update);
  model.on("change:view", move);
  return () => deck.finalize();
}

export default { render };
