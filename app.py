"""pwae app: layout and wiring only; every callback is a thin call into pwae_core.

    python app.py            # http://127.0.0.1:7860, offline, shipped checkpoints
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

import pwae_core as pw  # noqa: E402
from pwae_core import images  # noqa: E402
from pwae_core.views import digits, ot  # noqa: E402

torch.set_num_threads(2)
MODELS, OT, LOAD_ERRORS = {}, {}, []
try:
    MODELS.update(digits.load_digit_models())
except (FileNotFoundError, ValueError) as e:
    LOAD_ERRORS.append(str(e))
try:
    OT.update(ot.load_ot_models())
except (FileNotFoundError, ValueError) as e:
    LOAD_ERRORS.append(str(e))
TEST_X = pw.data.mnist("test")[0][:24, 0].numpy()          # (24, 28, 28) gallery of test digits
EXAMPLES = [np.kron(d, np.ones((4, 4))) for d in TEST_X]

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
        raise gr.Error(f"The {what} models are not available: {' '.join(LOAD_ERRORS)}")


def _errors(fn):
    """Turn a ValueError from the library into a visible gr.Error (the app keeps serving)."""
    def wrapped(*args):
        try:
            return fn(*args)
        except (ValueError, FileNotFoundError) as e:
            raise gr.Error(str(e)) from None
    wrapped.__name__ = fn.__name__
    return wrapped


# ------------------------------------------------------------------ digits callbacks

def pick_digit(evt: gr.SelectData):
    """Gallery click -> that test digit as the input image."""
    return (np.kron(TEST_X[evt.index], np.ones((4, 4))) * 255).astype(np.uint8)


@_errors
def to_editor(img):
    """Input digit -> the editor's background (mask layer cleared), 280 x 280."""
    if img is None:
        return None
    g = (np.kron(images.as_digit(img), np.ones((10, 10))) * 255).astype(np.uint8)   # (280, 280)
    rgba = np.dstack([g, g, g, np.full_like(g, 255)])
    return {"background": rgba, "layers": [], "composite": None}


@_errors
def use_sketch(value):
    """Sketchpad strokes -> a centred 28 x 28 digit as the input image."""
    return (np.kron(images.digit_from_sketch(value), np.ones((4, 4))) * 255).astype(np.uint8)


@_errors
def run_digits(img, task, sigma, editor, preset, n, seed):
    """The digits panel: observation, most likely, mean, std map, samples, class histogram."""
    _need(MODELS, "digits")
    digit = images.as_digit(img, "digit")
    mask = None
    if task == "inpaint":
        mask = digits.preset_mask(preset) if preset != "drawn" else images.mask_from_editor(editor)
    p = digits.digits_panel(MODELS, digit, task, sigma, mask, n, seed)
    for note in p["notes"]:
        gr.Warning(note)
    hist = pd.DataFrame({"class": [str(c) for c in range(10)], "samples": p["classes"]})
    return (p["observation"], p["map"], p["mean"], p["std"], p["samples"], hist, p["state"],
            f"std map scale: 0 to {p['std_max']:.3f} (mean std {p['std_mean']:.3f})")


@_errors
def new_directions(state, pick, seed, draws=0):
    """v and the eps strip; each click on "random" draws a new v (seeded by seed and a counter)."""
    if state is None:
        raise gr.Error("Run the digits panel first.")
    model = MODELS[state["task"]]
    if pick == "random":
        v = digits.random_direction(model.d1, int(seed) * 7919 + int(draws or 0))
    else:
        v = digits.top_directions(model, state)[int(pick[-1]) - 1]
    return v.tolist(), digits.eps_strip(model, state, v), digits.eps_frame(model, state, v, 0.0), int(draws or 0) + 1


@_errors
def eps_frame(state, v, eps):
    if state is None or v is None:
        return None
    return digits.eps_frame(MODELS[state["task"]], state, torch.tensor(v), eps)


# ------------------------------------------------------------------ OT callbacks

@_errors
def run_sphere(setting, show_exact, n):
    _need(OT, "sphere")
    fig, s = ot.sphere_view(OT["sphere"][setting], int(n), bool(show_exact))
    return fig, f"MG = {s['MG']:.3f}   ED = {s['ED']:.4f}   MG + 10 ED = {s['MG'] + 10 * s['ED']:.3f}"


@_errors
def run_posterior(y):
    _need(OT, "posterior")
    fig, s = ot.posterior_view(OT["posterior"], y)
    return fig, f"conditional ED vs closed form (512 samples): PWAE {s['PWAE']:.4f}, cVAE {s['cVAE']:.4f}"


# ------------------------------------------------------------------ layout

def digits_tab():
    state, v, draws = gr.State(), gr.State(), gr.State(0)
    with gr.Row():
        with gr.Column(scale=1):
            gallery = gr.Gallery(EXAMPLES, label="test digits (click one)", columns=6, height=230,
                                 elem_id="examples", allow_preview=False)
            digit = gr.Image(EXAMPLES[0], label="digit (click one above, upload, or draw below)",
                             type="numpy", height=160, elem_id="digit", format="png", image_mode=None)
            with gr.Accordion("draw a digit", open=False):
                sketch = gr.Sketchpad(type="numpy", image_mode="RGBA", layers=False, sources=(),
                                      transforms=(), canvas_size=(280, 280), fixed_canvas=True,
                                      format="png", elem_id="sketch",
                                      brush=gr.Brush(colors=["#1f3fbf"], color_mode="fixed", default_size=22))
                use = gr.Button("Use this drawing", elem_id="use_sketch")
            task = gr.Radio(["denoise", "inpaint"], value="denoise", label="task", elem_id="task")
            sigma = gr.Slider(*digits.sigma_range(MODELS), value=0.5, step=0.05, label="noise sigma",
                              elem_id="sigma")
            with gr.Row():
                preset = gr.Radio(["drawn", *digits.PRESETS], value="drawn", label="mask (inpainting)",
                                  elem_id="preset", scale=4)
                clear = gr.Button("Clear mask", elem_id="clear", scale=1)
            n = gr.Slider(1, digits.MAX_N, value=64, step=1, label="samples", elem_id="n")
            seed = gr.Number(0, label="seed", precision=0, elem_id="seed")
            run = gr.Button("Sample the posterior", variant="primary", elem_id="run")
        with gr.Column(scale=2):
            editor = gr.ImageEditor(type="numpy", image_mode="RGBA", layers=False, sources=(),
                                    transforms=(), canvas_size=(280, 280), fixed_canvas=True,
                                    format="png", label="paint the region to hide (inpainting)",
                                    brush=gr.Brush(colors=["#ff0000"], color_mode="fixed"),
                                    value=to_editor(EXAMPLES[0]), elem_id="editor")
            with gr.Row():
                obs = gr.Image(label="what the model sees", format="png", elem_id="obs")
                mle = gr.Image(label="most likely D_x(0, z2)", format="png", elem_id="map")
                mean = gr.Image(label="posterior mean", format="png", elem_id="mean")
                std = gr.Image(label="pixelwise std", format="png", elem_id="std")
            scale = gr.Markdown(elem_id="std_scale")
            samples = gr.Image(label="conditional samples", format="png", elem_id="samples", height=300)
            hist = gr.BarPlot(x="class", y="samples", label="classifier over the samples", elem_id="hist",
                              height=220)
    with gr.Accordion("Latent scrub: D_x(eps v, z2)", open=True):
        with gr.Row():
            pick = gr.Radio(["random", "principal 1", "principal 2", "principal 3"], value="principal 1",
                            label="direction v", elem_id="pick")
            newv = gr.Button("New direction", elem_id="newv")
            eps = gr.Slider(-3, 3, value=0, step=0.05, label="eps", elem_id="eps")
        with gr.Row():
            frame = gr.Image(label="D_x(eps v, z2)", format="png", elem_id="frame", height=240)
            strip = gr.Image(label="eps = -3 ... 3", format="png", elem_id="strip")
    gr.Markdown("*How it works:* the observation y is encoded to (z2, z3) = E_y(y); each sample is "
                "x = D_x(z1, z2) with z1 ~ N(0, I). The mean and std are taken over the samples; the "
                "most likely estimate uses z1 = 0; the scrub moves z1 = eps v.")
    gallery.select(pick_digit, None, digit, api_visibility="private")
    digit.change(to_editor, digit, editor, api_visibility="private")
    outs = [obs, mle, mean, std, samples, hist, state, scale]
    ins = [digit, task, sigma, editor, preset, n, seed]
    use.click(use_sketch, sketch, digit, api_visibility="private")
    clear.click(to_editor, digit, editor, api_visibility="private")
    dir_ins, dir_outs = [state, pick, seed, draws], [v, strip, frame, draws]
    run.click(run_digits, ins, outs, api_name="digits").then(
        new_directions, dir_ins, dir_outs, api_visibility="private")
    sigma.release(run_digits, ins, outs, api_visibility="private").then(
        new_directions, dir_ins, dir_outs, api_visibility="private")
    newv.click(new_directions, dir_ins, dir_outs, api_name="directions")
    eps.input(eps_frame, [state, v, eps], frame, trigger_mode="always_last", show_progress="hidden",
              api_name="eps_frame")
    eps.release(eps_frame, [state, v, eps], frame, api_visibility="private")


def sphere_tab():
    with gr.Row():
        setting = gr.Radio(list(ot.SPHERE_SETTINGS), value="10,10", label="lambda_joint, lambda_wae",
                           elem_id="setting")
        exact = gr.Checkbox(True, label="show the exact minibatch OT map", elem_id="exact")
        npts = gr.Slider(20, 500, value=150, step=10, label="points", elem_id="npts")
    plot, scores = gr.Plot(elem_id="sphere_plot"), gr.Markdown(elem_id="sphere_scores")
    gr.Markdown("*MG* (Monge gap): how much cheaper the best re-pairing of the mapped points would be; "
                "0 means the map is cost-optimal on the batch. *ED* (energy distance): how far the "
                "generated samples are from the data; 0 means the marginals match. Loss (4): "
                "E c(D_x(z), D_y(z)) + lambda_joint [reconstruction + lambda_wae ED(latent, prior)] per side.")
    setting.change(run_sphere, [setting, exact, npts], [plot, scores], api_name="sphere")
    exact.change(run_sphere, [setting, exact, npts], [plot, scores], api_visibility="private")
    npts.release(run_sphere, [setting, exact, npts], [plot, scores], api_visibility="private")
    return setting, exact, npts, plot, scores


def posterior_tab():
    y = gr.Slider(-2, 2, value=0.3, step=0.02, label="observation y = F x + noise", elem_id="y")
    plot, scores = gr.Plot(elem_id="post_plot"), gr.Markdown(elem_id="post_scores")
    gr.Markdown("*How it works:* the prior is a mixture of 8 Gaussians in 2-D; y = F x + N(0, 0.1^2). "
                "The exact posterior is again a mixture (contours). The PWAE learned a coupling with cost "
                "|F x - y|^2 from unpaired samples; the cVAE learned from pairs.")
    y.release(run_posterior, y, [plot, scores], api_name="posterior")
    return y, plot, scores


with gr.Blocks(title="pwae: paired Wasserstein autoencoders", analytics_enabled=False) as demo:
    gr.Markdown("# pwae: paired Wasserstein autoencoders")
    for msg in LOAD_ERRORS:
        gr.Markdown(f"**Not available:** {msg}")
    with gr.Tab("Digits"):
        digits_tab()
    with gr.Tab("Sphere OT"):
        s_ins = sphere_tab()
    with gr.Tab("Posterior"):
        p_ins = posterior_tab()
    with gr.Tab("About"):
        gr.Markdown(ABOUT)
    demo.load(run_sphere, list(s_ins[:3]), list(s_ins[3:]), api_visibility="private")
    demo.load(run_posterior, p_ins[0], list(p_ins[1:]), api_visibility="private")

demo.queue(default_concurrency_limit=2, max_size=32)

if __name__ == "__main__":
    demo.launch(server_name="127.0.0.1")
