"""Every component id, once. The UI contract in DESIGN.md names some of them; keep those."""

# Shell
NAVBAR = "navbar"

# Training page: controls (contract ids)
APPROACH = "approach"
LR = "lr"
EPOCHS = "epochs"
SAMPLES = "samples"
NOISE = "noise"
SEED = "seed"
TRAIN_BUTTON = "train-button"
CANCEL_BUTTON = "cancel-button"
STATUS = "status"
LOSS_GRAPH = "loss-graph"
LEARNED_WEIGHTS = "learned-weights"

# Training page: the rest
TRUE_WEIGHT_INPUTS = ("true-w0", "true-w1", "true-w2")
NUMBER_INPUTS = {"lr": LR, "epochs": EPOCHS, "samples": SAMPLES, "noise": NOISE, "seed": SEED}


def field_error(field: str) -> str:
    """The message under a control, by the config field it checks."""
    return f"{field}-error"


TRUE_WEIGHTS_ERROR = field_error("true_weights")
APPROACH_ERROR = field_error("approach")
CONFIG_QUERY = "config-query"
URL_NOTICE = "url-notice"
PROGRESS_BAR = "progress-bar"
PROGRESS_TEXT = "progress-text"
WEIGHTS_GRAPH = "weights-graph"
LOG_SCALE = "log-scale"
RESULT_TABLE = "result-table"
USE_SEED_BUTTON = "use-seed-button"
CODE_VIEW = "code-view"
CODE_COPY = "code-copy"
RUN_REQUEST = "run-request"
RUN_RESULT = "run-result"
RUN_PHASE = "run-phase"
CANCELLED_RUN = "cancelled-run"
WATCHDOG = "watchdog"
RUN_HISTORY = "run-history"
HISTORY_SIZE = "history-size"
OVERLAY_RUNS = "overlay-runs"
OVERLAY_CURVES = "overlay-curves"
CLEAR_HISTORY_BUTTON = "clear-history-button"
DOWNLOAD_BUTTON = "download-button"
DOWNLOAD = "download"

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
