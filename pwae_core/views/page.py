"""The page's own CSS and script, passed to ``demo.launch(css=CSS, js=JS)``.

The script makes the latent scrub run in the browser: the server sends every frame of a
direction at once (``digits.scrub_html``: a sprite of eps = -3..3 in steps of 0.1), and an
``input`` listener on the eps slider shows the frame of its value, moves the marker on the
strip and writes eps, with no request to the server. When a new sprite arrives (a new
digit, sigma, mask or direction), the frame of the slider's current value is shown, so the
slider, the frame and the strip always agree. (Gradio patches new HTML into the old
nodes, so the script looks for a ``.scrub`` without ``data-shown``, which the server never
writes.) ``window.pwaeScrubTimes`` keeps the time from each slider event to the frame's
update (ms), for the browser tests.
"""

CSS = """
#scrub .scrub { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
#scrub .frame { width: 224px; height: 224px; background-image: var(--sprite);
  background-size: calc(var(--frames) * 100%) 100%; image-rendering: pixelated;
  border: 1px solid #ccc; }
#scrub .eps-now { font: 600 15px monospace; }
#scrub .strip { position: relative; display: flex; gap: 2px; padding-bottom: 10px; }
#scrub .thumb { display: flex; flex-direction: column; align-items: center; font: 12px monospace; }
#scrub .cell { width: 56px; height: 56px; background-image: var(--sprite);
  background-size: calc(var(--frames) * 100%) 100%; image-rendering: pixelated; }
#scrub .marker { position: absolute; bottom: 0; width: 0; height: 0; transform: translateX(-6px);
  border-left: 6px solid transparent; border-right: 6px solid transparent;
  border-bottom: 9px solid #e4572e; }
#scrub .strip-caption { font-size: 12px; color: #666; }
#examples .grid-wrap { height: auto !important; max-height: none !important; min-height: 0 !important; }
#examples .grid-container { grid-template-columns: repeat(10, minmax(0, 1fr)) !important;
  grid-auto-rows: min-content !important; grid-template-rows: none !important;
  align-content: start !important; height: auto !important;
  gap: 3px !important; padding-top: 26px; }
#examples, #examples .gallery-container { height: auto !important; min-height: 0 !important; }
#examples .gallery-item { height: auto !important; }
#examples .thumbnail-item { min-width: 0 !important; min-height: 0 !important; height: auto !important;
  aspect-ratio: 1 / 1; }
#obs img, #map img, #mean img { image-rendering: pixelated; width: 100%; height: 100%;
  object-fit: contain; }
.samples-box { max-height: 360px; overflow-y: auto; border: 1px solid #ddd; padding: 4px; }
.samples-box img { image-rendering: pixelated; display: block; width: 100%; }
.samples-caption { font-size: 12px; color: #555; margin-bottom: 4px; }
.tr-pic img, #tr_digit img, #tr_examples img, #tr_face_examples img { image-rendering: pixelated; }
.tr-pic img, #tr_photo img { width: 100%; height: 100%; object-fit: contain; }
#tr_face_examples .caption-label { display: none; }
#tr_examples .grid-wrap, #tr_face_examples .grid-wrap { height: auto !important; max-height: none !important;
  min-height: 0 !important; }
#tr_examples .grid-container { grid-template-columns: repeat(10, minmax(0, 1fr)) !important;
  grid-auto-rows: min-content !important; grid-template-rows: none !important; height: auto !important;
  gap: 3px !important; padding-top: 26px; }
#tr_face_examples .grid-container { grid-template-columns: repeat(5, minmax(0, 1fr)) !important;
  grid-auto-rows: min-content !important; grid-template-rows: none !important; height: auto !important;
  gap: 4px !important; padding-top: 26px; }
#tr_examples, #tr_face_examples, #tr_examples .gallery-container,
#tr_face_examples .gallery-container { height: auto !important; min-height: 0 !important; }
#tr_examples .thumbnail-item, #tr_face_examples .thumbnail-item { min-width: 0 !important;
  min-height: 0 !important; height: auto !important; aspect-ratio: 1 / 1; }
.tr-status { display: flex; flex-direction: column; gap: 4px; font-size: 15px; }
.tr-status > div { padding: 6px 10px; border-radius: 6px; border-left: 5px solid #999; background: #f4f4f4; }
.tr-status .tr-found { border-left-color: #2e8b57; }
.tr-status .tr-none { border-left-color: #d08a00; background: #fff6e0; }
.tr-status .tr-close { border-left-color: #2e8b57; background: #edf7f0; }
.tr-status .tr-far { border-left-color: #c62828; background: #fdecea; color: #8e1b1b; font-weight: 600; }
"""

JS = """
() => {
  window.pwaeScrubTimes = [];
  const show = (value) => {
    const box = document.querySelector('#scrub .scrub');
    const range = document.querySelector('#eps input[type=range]');
    if (!box || !range) return;
    const eps = value === undefined ? parseFloat(range.value) : parseFloat(value);
    if (!isFinite(eps)) return;
    const n = +box.dataset.n, lo = +box.dataset.lo, step = +box.dataset.step;
    const t = +box.dataset.thumbs;
    const i = Math.max(0, Math.min(n - 1, Math.round((eps - lo) / step)));
    box.querySelector('.frame').style.backgroundPosition = (100 * i / (n - 1)) + '% 0';
    box.querySelector('.marker').style.left = (100 * (0.5 + (t - 1) * i / (n - 1)) / t) + '%';
    box.querySelector('.eps-now').textContent = 'eps = ' + (lo + i * step).toFixed(1);
    box.dataset.shown = i;
  };
  document.addEventListener('input', (e) => {
    if (!e.target.closest || !e.target.closest('#eps')) return;
    const t0 = performance.now();
    show(e.target.value);
    window.pwaeScrubTimes.push(performance.now() - t0);
  }, true);
  // Gradio patches new HTML into the old nodes (attributes change, no node is added), and
  // the server's HTML has no data-shown: a scrub without it is new and gets the slider's frame.
  new MutationObserver(() => {
    const box = document.querySelector('#scrub .scrub');
    if (box && box.dataset.shown === undefined) show();
  }).observe(document.body, {subtree: true, childList: true, attributes: true,
                             attributeFilter: ['data-shown']});
  window.pwaeScrub = show;
}
"""
