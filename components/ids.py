"""Every component id, once. Outside browser tests drive the page by some of them (the UI
contract, in docs/architecture.md): keep those and what they mean."""

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class PanelIds:
    """The ids of one page's run controls (components/run_panel.py). The training page's carry no
    prefix (the contract's `train-button`, `cancel-button`, `status`); a later page's carry its
    own, since Dash callbacks are global."""

    train: str
    cancel: str
    status: str
    progress_bar: str
    progress_text: str
    request: str  # the job request (the background job's input)
    job: str  # what the job hands back when it ends
    answered: str  # the poll chain: when the last answer came (None: stop polling) …
    poll: str  # … and the browser's next question
    watchdog: str
    result: str  # the record of the run that just ended (for the page's run history)
    handle: str  # the tab's current run, in session storage


def panel_ids(prefix: str = "") -> PanelIds:
    names = {"train": "train-button", "cancel": "cancel-button", "status": "status",
             "progress_bar": "progress-bar", "progress_text": "progress-text", "request": "run-request",
             "job": "run-job", "answered": "run-answered", "poll": "run-poll", "watchdog": "watchdog",
             "result": "run-result", "handle": "run-handle"}
    return PanelIds(**{f.name: prefix + names[f.name] for f in fields(PanelIds)})


# Shell
NAVBAR = "navbar"
URL = "url"
ACTIVE_RUNS = "active-runs"  # the navigation bar's note of a run training on another page
ACTIVE_RUNS_POLL = "active-runs-poll"
ACTIVE_HANDLES = "active-handles"  # the run handles of this tab, read from session storage
A11Y_WORDS = "a11y-words"  # the words assets/a11y.js writes with (charts' summaries, the steppers' names)

# Training page (contract ids; the number inputs are named after their config fields: lr,
# epochs, samples, noise, seed)
APPROACH = "approach"
TRAINING_PANEL = panel_ids()  # train-button, cancel-button, status, …
LOSS_GRAPH = "loss-graph"
LEARNED_WEIGHTS = "learned-weights"
OPTIMIZER = "optimizer"  # the module approach's optimizer; its settings' controls are number inputs
LANDSCAPE_GRAPH = "landscape-graph"
MAX_STABLE_LR = "max-stable-lr"
DOWNLOAD_NOTEBOOK_BUTTON = "download-notebook"  # the current run as a Jupyter notebook


def number_input(field: str) -> str:
    """The number control of a config field: its id is the field's name (`lr`, `epochs`, …)."""
    return field


SEED = number_input("seed")

# Training page: the rest
TRUE_WEIGHT_INPUTS = ("true-w0", "true-w1", "true-w2")


def field_error(field: str) -> str:
    """The message under a control, by the config field it checks."""
    return f"{field}-error"


CONFIG_QUERY = "config-query"
URL_NOTICE = "url-notice"
WEIGHTS_GRAPH = "weights-graph"
LOSS_UPDATE = "loss-update"  # the run's streamed trace updates of each chart (figures.py)
WEIGHTS_UPDATE = "weights-update"
LOG_SCALE = "log-scale"
RESULT_TABLE = "result-table"
USE_SEED_BUTTON = "use-seed-button"
CODE_VIEW = "code-view"
CODE_COPY = "code-copy"
RUN_HISTORY = "run-history"
HISTORY_SIZE = "history-size"
OVERLAY_RUNS = "overlay-runs"
OVERLAY_CURVES = "overlay-curves"
CLEAR_HISTORY_BUTTON = "clear-history-button"
DOWNLOAD_BUTTON = "download-button"
DOWNLOAD = "download"
NOTEBOOK_DOWNLOAD = "notebook-download"
OPTIMIZER_FIELDSET = "optimizer-fieldset"
OPTIMIZER_NOTE = "optimizer-note"  # says the optimizer is not used by the manual approach


def setting_row(name: str) -> str:
    """The row of an optimizer setting's control, hidden when the chosen optimizer ignores it."""
    return f"{name}-row"


STABILITY = "stability"  # the Hessian's numbers and the chosen rate against its bound
LANDSCAPE_UPDATE = "landscape-update"  # the run's streamed path on the landscape
LANDSCAPE_NOTE = "landscape-note"
LANDSCAPE_DRAWN = "landscape-drawn"  # which data the landscape shows
RUN_DATA = "run-data"  # the current run's settings, whose data the landscape may show
DATA_GRAPH = "data-graph"  # the samples in 3-D with the fitted plane and the true one
TRUE_PLANE_TOGGLE = "true-plane-toggle"
PLANE_UPDATE = "plane-update"  # the run's streamed fitted plane
TRUE_PLANE_UPDATE = "true-plane-update"

# Training page: stepping (contract: step-button, gradient)
STEP_BUTTON = "step-button"
STEP_TEN_BUTTON = "step-ten-button"
STEP_PLAY_BUTTON = "step-play-button"
GRADIENT = "gradient"
STEP_VIEW = "step-view"  # what one epoch computed
STEP_FORWARD = "step-forward"  # the samples' predictions and residuals, and the loss
STEP_UPDATE = "step-update"  # the update written out
STEP_CODE = "step-code"  # the loop, the lines that computed the numbers highlighted
STEP_STATE = "step-state"  # what the next step continues from, signed for this browser
STEP_AGAIN = "step-again"  # set by the browser to ask for the next step of Step ×10 or Play
STEP_ANSWERED = "step-answered"
STEP_PLAN = "step-plan"  # steps left of Step ×10, and whether Play is on
STEP_LABELS = "step-labels"
STEP_LOSS_UPDATE = "step-loss-update"  # a step's point on each chart (training_step.py)
STEP_WEIGHTS_UPDATE = "step-weights-update"
STEP_PATH_UPDATE = "step-path-update"
STEP_PLANE_UPDATE = "step-plane-update"

# Training page: the optimizer race (its own run panel, ids prefixed `race-`)
RACE_PANEL = panel_ids("race-")
RACE_OPTIMIZERS = "race-optimizers"
RACE_LOSS_GRAPH = "race-loss-graph"
RACE_LANDSCAPE_GRAPH = "race-landscape-graph"
RACE_LANDSCAPE_UPDATE = "race-landscape-update"

# Gallery page (contract ids)
ACTIVATION = "activation"
ACTIVATION_GRAPH = "activation-graph"

# Gallery page: the rest
PARAM_SLIDER = "param-slider"  # pattern-matching type; the id's "name" is the parameter's
PARAM_BOX = "param-box"
PARAM_CONTROLS = "param-controls"
PARAM_DRAG = "param-drag"  # the parameter value under a dragged handle
DRAG_PREVIEW = "drag-preview"  # what lets the page redraw a drag of an affine parameter itself
SHOW_DERIVATIVE = "show-derivative"
XMIN = "xmin"
XMAX = "xmax"
COMPARE = "compare"
GALLERY_RESET = "gallery-reset"
GALLERY_NOTICE = "gallery-notice"
FORMULA = "formula"
TORCH_EQUIVALENT = "torch-equivalent"
PROPERTIES = "properties"
GALLERY_QUERY = "gallery-query"
SHOWN_VIEW = "shown-view"  # which view the chart shows (gallery.view_key)
READY_VIEWS = "ready-views"  # every function's tutorial view, kept in the browser

# Network page (contract ids: `network-` prefixed where the training page or the gallery uses the
# plain id, since Dash callbacks are global; the number inputs are `network-` + their field's name)
NETWORK_PREFIX = "network-"
NETWORK_PANEL = panel_ids(NETWORK_PREFIX)  # network-train-button, network-cancel-button, network-status, …
NETWORK_ACTIVATION = "network-activation"
NETWORK_TARGET = "network-target"
FIT_GRAPH = "fit-graph"
NETWORK_LOSS_GRAPH = "network-loss-graph"
UNITS_GRAPH = "units-graph"

# Network page: the rest
NETWORK_PARAM_CONTROLS = "network-param-controls"
NETWORK_NOTE = "network-note"  # why the chosen activation cannot fit a curve, if it cannot
NETWORK_RESULT = "network-result"  # the finished run's final loss against the best straight line
NETWORK_COMPARE_TABLE = "network-compare-table"
NETWORK_RUNS = "network-runs"  # the finished runs of this tab (session storage), for comparing
NETWORK_FIT_UPDATE = "network-fit-update"  # the run's streamed trace updates of the fit chart
NETWORK_COMPARED = "network-compared"  # the compared runs' traces, spliced into the fit chart
NETWORK_QUERY = "network-query"
NETWORK_NOTICE = "network-notice"
NETWORK_CODE_VIEW = "network-code-view"
NETWORK_CODE_COPY = "network-code-copy"
GALLERY_LINK = "gallery-link"  # the network page's link to the gallery view of its activation
NETWORK_LINK = "network-link"  # the gallery's "Try it in a network"
NETWORK_KEPT_RUNS = "network-kept-runs"  # how many finished runs the tab keeps
NETWORK_PREVIEW = "network-preview"  # the data of changed settings, drawn on the fit chart before Train
