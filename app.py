"""pwae app: layout and wiring only; every callback is a thin call into pwae_core.views.

    python app.py            # http://127.0.0.1:7860, offline, shipped checkpoints
    PWAE_TRANSLATION_DIR=folder python app.py     # translation models from another folder
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# Gradio rebuilds a pandas summary of every recorded event after each request (for its
# monitoring page, unused here): measured, it grows with the number of requests served.
os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")

import functools  # noqa: E402
import logging  # noqa: E402

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

from pwae_core import images  # noqa: E402
from pwae_core.checkpoint import SHIPPED  # noqa: E402
from pwae_core.views import components as C, digits, ot, page, translation  # noqa: E402
from pwae_core.views.components import user_error  # noqa: E402

# Measured (benchmarks/bench_app.py --serve, 16 clients x 25 panels on 2 cores): two requests
# at a time with one torch thread each serve 30 req/s, p95 0.69-0.71 s; two threads each
# 26 req/s, p95 0.79-0.80 s; one at a time with two threads 23 req/s, p95 0.84-0.86 s.
torch.set_num_threads(1)
if not logging.getLogger("pwae.app").handlers:                # a user's mistake: one line each
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s pwae: %(message)s"))
    logging.getLogger("pwae.app").addHandler(_handler)
    logging.getLogger("pwae.app").setLevel(logging.INFO)
MODELS, OT, TRANSLATION, LOAD_ERRORS = {}, {}, {}, []
TRANSLATION_DIR = os.environ.get("PWAE_TRANSLATION_DIR") or str(SHIPPED)
for target, loader in ((MODELS, digits.load_digit_models), (OT, ot.load_ot_models),
                       (TRANSLATION, functools.partial(translation.load_translation_models, TRANSLATION_DIR))):
    try:
        target.update(loader())
    except (FileNotFoundError, ValueError) as e:
        LOAD_ERRORS.append(str(e))
EXAMPLES = digits.example_digits()                   # (20, 28, 28): two of every class
FACE_EXAMPLES = translation.example_faces()          # [(photo, caption)]: synthetic, astronaut, LFW
LAUNCH = dict(css=page.CSS, js=page.JS)              # demo.launch(**LAUNCH, ...)
QUEUE = dict(default_concurrency_limit=2, max_size=64)

ABOUT = """
**pwae** explores paired Wasserstein autoencoders (PWAE). Two autoencoders share a latent space,
so one observation gives a whole posterior: samples, mean, pixelwise std, and latent directions.

Papers: *Paired Wasserstein Autoencoders for Conditional Sampling* (Piening & Chung, arXiv
2412.07586) and its 2025 revision as an OT coupling; *Wasserstein Auto-Encoders* (Tolstikhin
et al., 2018); *Coupled Variational Autoencoder* (Hao & Shafto, 2023). The code, tables and
tests are in the README.
"""


def _need(models: dict, what: str):
    if not models:
        raise user_error(f"The {what} models are not available: {' '.join(LOAD_ERRORS)}")


def _errors(fn):
    """A user's mistake (ValueError, missing file) becomes a visible message and one log
    line; the app keeps serving."""
    @functools.wraps(fn)                       # Gradio names API parameters after fn's
    def wrapped(*args):
        try:
            return fn(*args)
        except gr.Error:                       # already the user's message (_need, an inner call)
            raise
        except (ValueError, FileNotFoundError) as e:
            raise user_error(str(e)) from None
    return wrapped


# ------------------------------------------------------------------ digits callbacks

def pick_digit(evt: gr.SelectData):
    """Gallery click -> that example as the input image."""
    return digits.as_picture(EXAMPLES[evt.index])


def to_editor(img, preset="drawn"):
    """Input digit -> the mask editor's background (strokes cleared, a preset's region kept),
    280 x 280. Quiet on a bad image: the panel's run reports it once."""
    try:
        hide = digits.preset_mask(preset) if preset != "drawn" else None
        return None if img is None else digits.editor_value(images.as_digit(img), None, hide)
    except ValueError:
        return gr.update()


@_errors
def add_preset(img, editor, preset):
    """A mask preset is painted into the editor beside the user's strokes."""
    if img is None or preset == "drawn":
        return gr.update()
    return digits.editor_value(images.as_digit(img), editor, digits.preset_mask(preset))


@_errors
def use_sketch(value):
    """Sketchpad strokes -> a centred 28 x 28 digit as the input image."""
    return digits.as_picture(images.digit_from_sketch(value))


def show_task(task, preset):
    """Only the controls of the chosen task are shown; inpainting starts from a preset mask."""
    inpaint = task == "inpaint"
    start = "left half" if inpaint and preset == "drawn" else preset
    return (gr.update(visible=not inpaint), gr.update(visible=inpaint), gr.update(visible=inpaint),
            start)


DIGITS_OUTPUTS = 10          # what run_digits returns: 6 pictures, state, caption, v, scrub


@_errors
def run_digits(image, task, sigma, editor, preset, n, seed, pick, eps, draws=0):
    """The digits panel and the scrub of its first direction, in one call."""
    _need(MODELS, "digits")
    p = digits.digits_panel(MODELS, images.as_digit(image, "image"), task, sigma,
                            digits.mask_for(task, editor, preset), n, seed)
    for note in p["notes"]:
        gr.Warning(note)
    v, scrub = digits.direction(MODELS[task], p["state"], pick, seed, draws or 0, eps)
    hist = pd.DataFrame({"digit class": [str(c) for c in range(10)], "samples": p["classes"]})
    return (p["observation"], p["map"], p["mean"], p["std"], p["samples_html"], hist, p["state"],
            digits.std_caption(p), v, scrub)


def auto_digits(*args):
    """run_digits for changes the user did not ask to sample: an inpainting request with no
    mask yet waits for the user's strokes instead of answering with an error."""
    image, task, sigma, editor, preset = args[:5]
    if task == "inpaint" and preset == "drawn" and images.painted(editor) is None:
        return tuple(gr.skip() for _ in range(DIGITS_OUTPUTS))
    return run_digits(*args)


@_errors
def new_direction(state, pick, seed, eps, draws=0):
    """v and its scrub; each click on "random" draws a new v (seeded by seed and a counter)."""
    if state is None:
        raise user_error("Sample the posterior first: a direction needs an observation.")
    draws = int(draws or 0) + 1
    v, scrub = digits.direction(MODELS[state["task"]], state, pick, seed, draws, eps)
    return v, scrub, draws


@_errors
def eps_frame(state, v, eps):
    """One frame D_x(eps v, z2) over the API (the page scrubs in the browser)."""
    if state is None or v is None:
        raise user_error("Call /digits first: a frame needs an observation and a direction.")
    return digits.eps_frame(MODELS[state["task"]], state, torch.tensor(v), eps)


# ------------------------------------------------------------------ OT callbacks

@_errors
def run_sphere(setting, show_exact, n):
    _need(OT, "sphere")
    fig, s = ot.sphere_view(ot.sphere_model(OT, setting), n, ot.flag(show_exact, "show_exact"))
    return fig, f"MG = {s['MG']:.3f}   ED = {s['ED']:.4f}   MG + 10 ED = {s['MG'] + 10 * s['ED']:.3f}"


@_errors
def run_posterior(y):
    _need(OT, "posterior")
    fig, s = ot.posterior_view(OT["posterior"], y)
    return fig, f"conditional ED vs closed form (512 samples): PWAE {s['PWAE']:.4f}, cVAE {s['cVAE']:.4f}"


# ------------------------------------------------------------------ translation callbacks

TRANSLATION_OUTPUTS = 7      # 4 pictures, status HTML, checkpoint markdown, scores table


def _translation_outputs(p: dict) -> tuple:
    return (*(p[k] for k in translation.PICTURES), p["status"], p["about"], p["metrics"])


@_errors
def translate_digit(digit, direction):
    """A digit picture already in the direction's source domain -> the translation panel."""
    _need(TRANSLATION, "translation")
    return _translation_outputs(translation.digit_panel(TRANSLATION, digit, direction))


@_errors
def translate_face(photo, direction, checkpoint=None):
    """A photo (file) -> its face crop translated by the chosen face checkpoint."""
    _need(TRANSLATION, "translation")
    return _translation_outputs(translation.face_panel(TRANSLATION, photo, direction, checkpoint))


@_errors
def run_translation(domain, direction, digit, photo, checkpoint):
    """The Translate button: the chosen domain's input through its model."""
    if translation.check_domain(domain) == "Digits":
        return translate_digit(digit, direction)
    return translate_face(photo, direction, checkpoint)


def auto_translation(domain, direction, digit, photo, checkpoint):
    """run_translation for changes the user did not ask to translate (page load, a new
    input, direction or checkpoint): quiet while there is no model or no input yet."""
    if not TRANSLATION or (photo if domain == "Faces" else digit) is None:
        return tuple(gr.skip() for _ in range(TRANSLATION_OUTPUTS))
    return run_translation(domain, direction, digit, photo, checkpoint)


def _auto_for(wanted: str):
    """auto_translation for a change of one domain's input: nothing when the other is shown."""
    def run(domain, *rest):
        if domain != wanted:
            return tuple(gr.skip() for _ in range(TRANSLATION_OUTPUTS))
        return auto_translation(domain, *rest)
    return run


def _domain_model(domain):
    if not TRANSLATION:
        return None
    return TRANSLATION["digits"] if domain == "Digits" else next(iter(TRANSLATION["faces"].values()))


def show_domain(domain, direction):
    """Only the chosen domain's inputs are shown; the directions are named in its words."""
    model = _domain_model(domain)
    choices = translation.direction_choices(model) if model is not None else list(translation.DIRECTIONS)
    return (gr.update(visible=domain == "Digits"), gr.update(visible=domain == "Faces"),
            gr.update(choices=choices, value=direction))


def digit_examples(thin, direction):
    """A new direction: the gallery in its source domain (thick strokes for "yx"), and the
    input digit too when it came from the gallery or a drawing (``thin``)."""
    shown = translation.example_digits(EXAMPLES, direction)
    gallery = [digits.as_picture(d) for d in shown]
    digit = gr.skip() if thin is None else digits.as_picture(translation.source_digit(thin, direction))
    return gallery, digit


def pick_translation_digit(direction, evt: gr.SelectData):
    """Gallery click -> that example (thin) and, in the direction's source domain, the input."""
    thin = EXAMPLES[evt.index]
    return thin, digits.as_picture(translation.source_digit(thin, direction))


@_errors
def use_translation_sketch(value, direction):
    """Sketchpad strokes -> a centred digit, thickened for "yx", as the input."""
    thin = images.digit_from_sketch(value)
    return thin, digits.as_picture(translation.source_digit(thin, direction))


def pick_face(evt: gr.SelectData):
    """Example click -> that photo as the input."""
    return FACE_EXAMPLES[evt.index][0]


# ------------------------------------------------------------------ layout

def _outputs_column():
    with gr.Column(scale=2):
        editor = C.ImageEditor(type="numpy", image_mode="RGBA", layers=False, sources=(), transforms=(),
                               canvas_size=(280, 280), fixed_canvas=True, format="png",
                               label="paint the region to hide", visible=False, elem_id="editor",
                               brush=gr.Brush(colors=["#ff0000"], color_mode="fixed"),
                               value=digits.editor_value(EXAMPLES[0]))
        with gr.Row(equal_height=True):
            kw = dict(format="png", buttons=[], height=250)
            obs = gr.Image(label="the model sees", elem_id="obs", **kw)
            mle = gr.Image(label="most likely", elem_id="map", **kw)
            mean = gr.Image(label="posterior mean", elem_id="mean", **kw)
            std = gr.Image(label="pixelwise std", elem_id="std", **kw)
        scale = gr.Markdown(elem_id="std_scale", label="std caption")
        with gr.Row():
            with gr.Column(scale=3):
                samples = gr.HTML(elem_id="samples", label="samples (HTML mosaic)")
            with gr.Column(scale=1, min_width=240):
                hist = gr.BarPlot(x="digit class", y="samples", title="classifier over the samples",
                                  label="class histogram", x_title="digit class", y_title="samples",
                                  elem_id="hist", height=260)
    return editor, [obs, mle, mean, std, samples, hist], scale


def digits_tab():
    state, v, draws = gr.State(), gr.State(), gr.State(0)
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            gallery = gr.Gallery([digits.as_picture(d) for d in EXAMPLES], columns=10, rows=2,
                                 height="auto", label="examples: click one", elem_id="examples",
                                 allow_preview=False, object_fit="contain", buttons=[])
            with gr.Row(equal_height=True):
                digit = C.Image(digits.as_picture(EXAMPLES[0]), label="input",
                                type="numpy", height=150, elem_id="digit", format="png", image_mode=None)
                with gr.Column(min_width=120):
                    task = C.Radio(list(digits.TASKS), value="denoise", label="task", elem_id="task")
                    run = gr.Button("Sample the posterior", variant="primary", elem_id="run")
            sigma = C.Slider(*digits.sigma_range(MODELS), value=0.5, step=0.05, label="noise sigma",
                             elem_id="sigma")
            with gr.Row(visible=False) as mask_row:
                preset = C.Radio(["drawn", *digits.PRESETS], value="drawn", label="mask", elem_id="preset",
                                 scale=4)
                clear = gr.Button("Clear mask", elem_id="clear", scale=1, min_width=80)
            with gr.Row():
                n = C.Slider(1, digits.MAX_N, value=64, step=1, label="samples", elem_id="n")
                seed = C.Number(0, label="seed", precision=0, elem_id="seed", min_width=80)
            with gr.Accordion("draw a digit", open=False):
                sketch = C.Sketchpad(type="numpy", image_mode="RGBA", layers=False, sources=(),
                                     transforms=(), canvas_size=(280, 280), fixed_canvas=True,
                                     format="png", elem_id="sketch",
                                     brush=gr.Brush(colors=["#1f3fbf"], color_mode="fixed", default_size=22))
                use = gr.Button("Use this drawing", elem_id="use_sketch")
        editor, shown, scale = _outputs_column()
    with gr.Accordion("Latent scrub: D_x(eps v, z2), computed for eps = -3..3 and drawn in your browser",
                      open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=340):
                pick = C.Radio(list(digits.PICKS), value="principal 1", label="direction v", elem_id="pick")
                newv = gr.Button("New random direction", elem_id="newv")
                eps = C.Slider(-3, 3, value=0, step=0.1, label="eps", elem_id="eps")
            with gr.Column(scale=2):
                scrub = gr.HTML(elem_id="scrub", label="scrub (HTML: sprite of eps = -3..3)")
    frame_api = gr.Image(visible=False, format="png", label="frame D_x(eps v, z2)")
    frame_button = gr.Button(visible=False)
    gr.Markdown("*How it works:* the observation y is encoded once to (z2, z3) = E_y(y); each sample "
                "is x = D_x(z1, z2) with z1 ~ N(0, I). The mean and std are taken over the samples; the "
                "most likely estimate uses z1 = 0; the scrub moves z1 = eps v along a principal direction "
                "(the decoder's Jacobian in z1) or a random one.")
    ins = [digit, task, sigma, editor, preset, n, seed, pick, eps, draws]
    outs = [*shown, state, scale, v, scrub]
    assert len(outs) == DIGITS_OUTPUTS
    private = dict(api_visibility="private")
    gallery.select(pick_digit, None, digit, **private)
    digit.change(to_editor, [digit, preset], editor, **private)
    use.click(use_sketch, sketch, digit, **private)
    clear.click(to_editor, digit, editor, **private).then(lambda: "drawn", None, preset, **private)
    live = dict(trigger_mode="always_last", show_progress="minimal", **private)
    preset.change(add_preset, [digit, editor, preset], editor, **private).then(auto_digits, ins, outs, **live)
    task.change(show_task, [task, preset], [sigma, mask_row, editor, preset], **private).then(
        auto_digits, ins, outs, **live)
    run.click(run_digits, ins, outs, api_name="digits")
    for event in (sigma.input, n.input, seed.submit, digit.change):
        event(auto_digits, ins, outs, **live)
    pick.change(new_direction, [state, pick, seed, eps, draws], [v, scrub, draws], **private)
    newv.click(lambda: "random", None, pick, **private).then(
        new_direction, [state, pick, seed, eps, draws], [v, scrub, draws], api_name="directions")
    frame_button.click(eps_frame, [state, v, eps], frame_api, api_name="eps_frame")
    return ins, outs


def sphere_tab():
    with gr.Row():
        setting = C.Radio(list(ot.SPHERE_SETTINGS), value="10,10", label="lambda_joint, lambda_wae",
                          elem_id="setting")
        exact = gr.Checkbox(True, label="show the exact minibatch OT map", elem_id="exact")
        npts = C.Slider(20, 500, value=150, step=10, label="points", elem_id="npts")
    plot = gr.Plot(elem_id="sphere_plot", show_label=False, label="sphere figure")
    scores = gr.Markdown(elem_id="sphere_scores", label="MG and ED")
    gr.Markdown("*MG* (Monge gap): how much cheaper the best re-pairing of the mapped points would be; "
                "0 means the map is cost-optimal on the batch. *ED* (energy distance): how far the "
                "generated samples are from the data; 0 means the marginals match. Loss (4): "
                "E c(D_x(z), D_y(z)) + lambda_joint [reconstruction + lambda_wae ED(latent, prior)] per side.")
    setting.change(run_sphere, [setting, exact, npts], [plot, scores], api_name="sphere")
    exact.change(run_sphere, [setting, exact, npts], [plot, scores], api_visibility="private")
    npts.release(run_sphere, [setting, exact, npts], [plot, scores], api_visibility="private")
    return setting, exact, npts, plot, scores


def posterior_tab():
    y = C.Slider(-2, 2, value=0.3, step=0.02, label="observation y = F x + noise", elem_id="y")
    plot = gr.Plot(elem_id="post_plot", show_label=False, label="posterior figure")
    scores = gr.Markdown(elem_id="post_scores", label="conditional ED")
    gr.Markdown("*How it works:* the prior is a mixture of 8 Gaussians in 2-D; y = F x + N(0, 0.1^2). "
                "The exact posterior is again a mixture (contours). The PWAE learned a coupling with cost "
                "|F x - y|^2 from unpaired samples; the cVAE learned from pairs.")
    y.release(run_posterior, y, [plot, scores], api_name="posterior")
    y.input(run_posterior, y, [plot, scores], trigger_mode="always_last", show_progress="hidden",
            api_visibility="private")
    return y, plot, scores


TRANSLATION_HELP = (
    "*How it works:* a coupling PWAE is two autoencoders that share one Gaussian latent space, "
    "trained on two unpaired sets of images (thin and thick digits; faces without and with a "
    "smile) with a squared-distance cost between the two decodings of every latent point. The "
    "translation D_y(E_x(x)) approximates the optimal-transport (Monge) map: the smallest change "
    "that lands in the other domain. The reconstruction D_x(E_x(x)) shows what the model can "
    "represent; the cycle maps the translation back. How far an input lies from the training data "
    "is its reconstruction error ranked among those of the test images.")


def translation_tab():
    ready = bool(TRANSLATION)
    if not ready:
        gr.Markdown(f"**Translation is not available:** {' '.join(LOAD_ERRORS)}", elem_id="tr_missing")
    first = _domain_model("Digits")
    face_names = list(TRANSLATION.get("faces", {}))
    thin = gr.State(EXAMPLES[0])
    with gr.Row():
        with gr.Column(scale=1, min_width=340):
            with gr.Row():
                domain = C.Radio(list(translation.DOMAINS), value="Digits", label="domain",
                                 elem_id="tr_domain", min_width=120)
                direction = C.Radio(translation.direction_choices(first) if first else
                                    list(translation.DIRECTIONS), value="xy", label="direction",
                                    elem_id="tr_direction", scale=2)
            with gr.Column(visible=True) as digit_box:
                gallery = gr.Gallery([digits.as_picture(d) for d in EXAMPLES], columns=10, rows=2,
                                     height="auto", label="test digits: click one", elem_id="tr_examples",
                                     allow_preview=False, object_fit="contain", buttons=[])
                digit = C.Image(digits.as_picture(EXAMPLES[0]), label="input digit", type="numpy",
                                height=150, elem_id="tr_digit", format="png", image_mode=None,
                                sources=("upload", "clipboard"))
                with gr.Accordion("draw a digit", open=False):
                    sketch = C.Sketchpad(type="numpy", image_mode="RGBA", layers=False, sources=(),
                                         transforms=(), canvas_size=(280, 280), fixed_canvas=True,
                                         format="png", elem_id="tr_sketch",
                                         brush=gr.Brush(colors=["#1f3fbf"], color_mode="fixed",
                                                        default_size=22))
                    use = gr.Button("Use this drawing", elem_id="tr_use_sketch")
            with gr.Column(visible=False) as face_box:
                # type "filepath", image_mode None: the upload's header is checked (components.Image),
                # nothing is decoded; faces_upload reads the file and words what is wrong with it
                photo = C.Image(FACE_EXAMPLES[0][0], label="photo: upload, webcam or paste",
                                type="filepath", image_mode=None, format="png", height=240,
                                sources=("upload", "webcam", "clipboard"), elem_id="tr_photo")
                faces = gr.Gallery([(p, c) for p, c in FACE_EXAMPLES], columns=5, height="auto",
                                   label="examples: synthetic test faces, real photos", elem_id="tr_face_examples",
                                   allow_preview=False, object_fit="contain", buttons=[])
                checkpoint = C.Radio(face_names, value=face_names[0] if face_names else None,
                                     label="face checkpoint (CelebA-trained first)", elem_id="tr_checkpoint",
                                     visible=len(face_names) > 1)
            run = gr.Button("Translate", variant="primary", elem_id="tr_run")
        with gr.Column(scale=2):
            with gr.Row(equal_height=True):
                kw = dict(format="png", buttons=[], height=240)
                pics = [gr.Image(label=label, elem_id=eid, elem_classes=["tr-pic"], **kw)
                        for label, eid in (("input (what the model sees)", "tr_input"),
                                           ("reconstruction", "tr_recon"),
                                           ("translation", "tr_translated"),
                                           ("cycle: translated back", "tr_cycle"))]
            status = gr.HTML(elem_id="tr_status", label="face crop and distance to the training data")
            about = gr.Markdown(elem_id="tr_about", label="checkpoint")
            scores = gr.Dataframe(label="test scores saved with this checkpoint", elem_id="tr_metrics",
                                  interactive=False, wrap=True)
            gr.Markdown(TRANSLATION_HELP)
    ins = [domain, direction, digit, photo, checkpoint]
    outs = [*pics, status, about, scores]
    assert len(outs) == TRANSLATION_OUTPUTS
    private = dict(api_visibility="private")
    live = dict(trigger_mode="always_last", show_progress="minimal", **private)
    domain.change(show_domain, [domain, direction], [digit_box, face_box, direction], **private).then(
        auto_translation, ins, outs, **live)
    direction.change(digit_examples, [thin, direction], [gallery, digit], **private).then(
        auto_translation, ins, outs, **live)
    gallery.select(pick_translation_digit, direction, [thin, digit], **private)
    digit.upload(lambda: None, None, thin, **private)          # an upload is taken as it is
    use.click(use_translation_sketch, [sketch, direction], [thin, digit], **private)
    faces.select(pick_face, None, photo, **private)
    digit.change(_auto_for("Digits"), ins, outs, **live)
    for event in (photo.change, checkpoint.change):
        event(_auto_for("Faces"), ins, outs, **live)
    run.click(run_translation, ins, outs, api_name="translate")
    digit_api, face_api = gr.Button(visible=False), gr.Button(visible=False)
    digit_api.click(translate_digit, [digit, direction], outs, api_name="translate_digit")
    face_api.click(translate_face, [photo, direction, checkpoint], outs, api_name="translate_face")
    return ins, outs


with gr.Blocks(title="pwae: paired Wasserstein autoencoders", analytics_enabled=False) as demo:
    gr.Markdown("# pwae: paired Wasserstein autoencoders")
    for msg in LOAD_ERRORS:
        gr.Markdown(f"**Not available:** {msg}")
    with gr.Tab("Digits"):
        d_ins, d_outs = digits_tab()
    with gr.Tab("Sphere OT"):
        s_ins = sphere_tab()
    with gr.Tab("Posterior"):
        p_ins = posterior_tab()
    with gr.Tab("Translation"):
        t_ins, t_outs = translation_tab()
    with gr.Tab("About"):
        gr.Markdown(ABOUT)
    demo.load(run_digits, d_ins, d_outs, api_visibility="private")
    demo.load(run_sphere, list(s_ins[:3]), list(s_ins[3:]), api_visibility="private")
    demo.load(run_posterior, p_ins[0], list(p_ins[1:]), api_visibility="private")
    demo.load(auto_translation, t_ins, t_outs, api_visibility="private")

demo.queue(**QUEUE)

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1", **LAUNCH)
