// The globe of `hdsim view`: one run's CZML scene (scene.czml, beside this page) on CesiumJS,
// offline: Natural Earth II imagery shipped with Cesium, no terrain, no Cesium ion.
// Query parameters: ?t=SECONDS sets the clock to SECONDS after the scene's start.
// When the scene is loaded and the globe's tiles are in, window.hdsimReady is true and
// window.hdsimEntityCount holds the number of entities; window.hdsimError is set when loading
// or rendering fails; window.hdsimViewer is the Cesium viewer.
"use strict";

(function () {
  Cesium.Ion.defaultAccessToken = "";

  // A software renderer (SwiftShader, llvmpipe: no GPU) draws a frame in about a second with
  // 4x multisampling, in half that without it.
  function softwareRenderer() {
    const gl = document.createElement("canvas").getContext("webgl2");
    const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
    const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
    return /swiftshader|llvmpipe|softpipe|software/i.test(name);
  }

  const viewer = new Cesium.Viewer("globe", {
    baseLayer: Cesium.ImageryLayer.fromProviderAsync(
      Cesium.TileMapServiceImageryProvider.fromUrl(
        Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"),
      ),
    ),
    terrainProvider: new Cesium.EllipsoidTerrainProvider(),
    baseLayerPicker: false,
    geocoder: false,
    timeline: true,
    animation: true,
    requestRenderMode: true,
    navigationInstructionsInitiallyVisible: false,
    msaaSamples: softwareRenderer() ? 1 : 4,
  });
  const scene = viewer.scene;
  window.hdsimViewer = viewer;
  scene.renderError.addEventListener(function (_scene, error) {
    window.hdsimError = String(error);
  });

  // Toggles by kind of entity (the first part of its id: threat/..., track/..., ...).
  const KINDS = [
    ["threat", "threats"], ["track", "tracks"], ["satellite", "satellites"],
    ["radar", "radars"], ["weapon", "weapons"], ["shot", "shots and intercepts"],
  ];
  const PHASES = [
    ["boost", "#d62728"], ["midcourse", "#9467bd"], ["pullup", "#ff7f0e"],
    ["glide", "#1f77b4"], ["cruise", "#17becf"], ["terminal", "#8c564b"],
  ];

  function kindOf(entity) {
    return entity.id.split("/")[0];
  }

  function addToggles(entities) {
    const panel = document.getElementById("layers");
    const present = new Set(entities.values.map(kindOf));
    for (const [kind, text] of KINDS) {
      if (!present.has(kind)) {
        continue;
      }
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = true;
      box.addEventListener("change", function () {
        for (const entity of entities.values) {
          if (kindOf(entity) === kind) {
            entity.show = box.checked;
          }
        }
        scene.requestRender();
      });
      label.append(box, " " + text);
      panel.append(label);
    }
    const legend = document.createElement("div");
    for (const [phase, color] of PHASES) {
      const item = document.createElement("div");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = color;
      item.append(swatch, phase);
      legend.append(item);
    }
    panel.append(legend);
  }

  // The region the threats fly over, from their positions at 100 times of the clock.
  function threatRectangle(dataSource) {
    const clock = dataSource.clock;
    const points = [];
    const threats = dataSource.entities.values.filter(function (e) {
      return kindOf(e) === "threat" && e.id.split("/").length === 2;
    });
    const span = Cesium.JulianDate.secondsDifference(clock.stopTime, clock.startTime);
    for (let k = 0; k <= 100; k++) {
      const time = Cesium.JulianDate.addSeconds(clock.startTime, (span * k) / 100,
        new Cesium.JulianDate());
      for (const entity of threats) {
        const position = entity.position.getValue(time);
        if (Cesium.defined(position)) {
          points.push(Cesium.Cartographic.fromCartesian(position));
        }
      }
    }
    if (points.length === 0) {
      return undefined;
    }
    const rect = Cesium.Rectangle.fromCartographicArray(points);
    const pad = Math.max(rect.width, rect.height, 0.05) * 0.3;
    return Cesium.Rectangle.fromRadians(rect.west - pad, rect.south - pad,
      rect.east + pad, rect.north + pad);
  }

  function whenTilesLoaded() {
    let settled = 0;
    const check = function () {
      settled = scene.globe.tilesLoaded ? settled + 1 : 0;
      if (settled >= 2) {
        scene.postRender.removeEventListener(check);
        window.hdsimReady = true;
      } else {
        setTimeout(function () { scene.requestRender(); }, 50);
      }
    };
    scene.postRender.addEventListener(check);
    scene.requestRender();
  }

  function baseLayerReady() {
    const layer = viewer.imageryLayers.get(0);
    if (!Cesium.defined(layer) || layer.ready) {
      return Promise.resolve();
    }
    return new Promise(function (resolve, reject) {
      layer.readyEvent.addEventListener(resolve);
      layer.errorEvent.addEventListener(reject);
    });
  }

  const params = new URLSearchParams(window.location.search);
  const dataSource = new Cesium.CzmlDataSource();
  viewer.dataSources.add(dataSource)
    .then(function () { return dataSource.load("scene.czml"); })
    .then(function () {
      document.getElementById("title").textContent = dataSource.name || "hdsim";
      document.title = (dataSource.name || "run") + " - hdsim globe";
      const t = params.get("t");
      if (t !== null && Number.isFinite(Number(t))) {
        viewer.clock.currentTime = Cesium.JulianDate.addSeconds(viewer.clock.startTime,
          Number(t), new Cesium.JulianDate());
      }
      const rect = threatRectangle(dataSource);
      if (Cesium.defined(rect)) {
        viewer.camera.setView({ destination: rect });
        viewer.homeButton.viewModel.command.beforeExecute.addEventListener(function (e) {
          e.cancel = true;
          viewer.camera.flyTo({ destination: rect });
        });
      }
      addToggles(dataSource.entities);
      window.hdsimEntityCount = dataSource.entities.values.length;
      return baseLayerReady();
    })
    .then(whenTilesLoaded)
    .catch(function (error) {
      window.hdsimError = String(error);
      console.error(error);
    });
})();
