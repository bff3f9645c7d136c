#!/usr/bin/env python3
"""Writes the ready-made lessons of resources/lessons (docs/teaching.md).

Each lesson is a netcanvas-lesson JSON: a small model, a dataset the project ships or
installs, the recipe, the variable and its values, what to look at and a short text. Kept
small enough for a classroom: about a minute on 2 cores.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "lessons")
FASHION = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
SAMPLE = "../sample-fashion"  # the app's own 400 images


def mlp(name, hidden, act="ReLU", init="glorot_uniform", dropout=None, init_std=None):
    nodes = [
        {"id": "input", "type": "Input", "params": {"channels": 1, "height": 28, "width": 28}},
        {"id": "flatten", "type": "Flatten", "inputs": ["input"]},
    ]
    prev = "flatten"
    for i, units in enumerate(hidden, 1):
        nodes.append({"id": f"fc{i}", "type": "Dense", "inputs": [prev], "params": dict({"units": units, "init": init}, **({"init_std": init_std} if init_std else {}))})
        nodes.append({"id": f"act{i}", "type": act, "inputs": [f"fc{i}"]})
        prev = f"act{i}"
        if dropout is not None:
            nodes.append({"id": f"drop{i}", "type": "Dropout", "inputs": [prev], "params": {"rate": dropout}})
            prev = f"drop{i}"
    nodes.append({"id": "out", "type": "Dense", "inputs": [prev], "params": {"units": 10, "init": "glorot_uniform"}})
    for k, n in enumerate(nodes):
        n["ui"] = {"x": 0, "y": 90 * k}
    return {"format": "netcanvas-model", "version": 1, "name": name, "nodes": nodes}


LESSONS = {
    "01-saturation": {
        "title": "Saturation: sigmoid against ReLU",
        "text": "Four hidden layers of 128 units, the same weights at the start, the same batches. With the "
        "sigmoid each layer squashes its input into (0, 1); where a unit sits in a flat tail its derivative is "
        "almost 0 and the gradient that reaches the first layers shrinks layer by layer. ReLU passes the "
        "gradient unchanged wherever a unit is active.",
        "look_at": "The first epoch: ReLU and tanh reach about three quarters right on the validation images, "
        "the sigmoid not even half — its gradients are smaller and it catches up only epochs later. Then the "
        "layer table (or Inspect > Layer Stats): the saturated fraction of the sigmoid and tanh layers and the "
        "smaller gradient spread of fc1 under the sigmoid.",
        "model": mlp("deep-mlp", [128, 128, 128, 128], act="Sigmoid", init="glorot_uniform"),
        "dataset": FASHION,
        "samples_per_class": 1000,
        "training": {"epochs": 8, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                     "validation_fraction": 0.2, "test_fraction": 0.1, "seed": 1, "schedule": {"kind": "constant"}},
        "variable": "activation",
        "values": ["Sigmoid", "Tanh", "ReLU"],
        "parallel": 2,
    },
    "02-initialization": {
        "title": "Initialization: He and Glorot against a constant variance",
        "text": "The same deep ReLU network started three ways. He initialization scales each layer's weights by "
        "its fan-in so the signal keeps its size through the layers; a constant small variance (normal, "
        "std 0.01) shrinks it at every layer, and the network starts with vanishing activations and gradients; "
        "zeros never break the symmetry between units at all.",
        "look_at": "he_normal learns from the first epoch; normal:0.01 is stuck near chance (10%) for epochs "
        "and its layers' output spread is tiny; zeros stays at chance.",
        "model": mlp("deep-relu", [128, 128, 128, 128, 128], act="ReLU", init="he_normal"),
        "dataset": FASHION,
        "samples_per_class": 300,
        "training": {"epochs": 6, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.02, "momentum": 0.9,
                     "validation_fraction": 0.2, "test_fraction": 0.1, "seed": 1, "schedule": {"kind": "constant"}},
        "variable": "initializer",
        "values": ["he_normal", "glorot_uniform", "normal:0.01", "zeros"],
        "parallel": 2,
    },
    "03-dropout": {
        "title": "Dropout against overfitting on a small training set",
        "text": "A wide network and only 30 images per class to learn from: without dropout it memorizes the "
        "training images (training accuracy near 100%) while validation accuracy stalls and validation loss "
        "climbs. Dropout, switching off a random half of the units at every step, narrows the gap.",
        "look_at": "The dashed (training) and solid (validation) curves of each variant and the ranking's "
        "train - validation gap and overfitting flag.",
        "model": mlp("wide-mlp", [512, 512], act="ReLU", init="he_uniform", dropout=0.0),
        "dataset": FASHION,
        "samples_per_class": 60,
        "training": {"epochs": 30, "batch_size": 32, "optimizer": "adam", "learning_rate": 0.001,
                     "validation_fraction": 0.5, "test_fraction": 0.0, "seed": 1, "schedule": {"kind": "constant"}},
        "variable": "dropout",
        "values": [0, 0.5],
        "parallel": 2,
    },
    "04-batch-norm": {
        "title": "Batch normalization",
        "text": "The same deep sigmoid network with and without a BatchNorm between each Dense layer and its "
        "activation. Normalizing every layer's input keeps the units out of the sigmoid's flat tails, so a "
        "larger learning rate works and the network learns in far fewer steps.",
        "look_at": "The validation curves of the first epochs, and the saturated fraction of the sigmoid "
        "layers in the layer table: lower with batch norm.",
        "model": mlp("deep-sigmoid", [128, 128, 128, 128], act="Sigmoid", init="glorot_uniform"),
        "dataset": FASHION,
        "samples_per_class": 300,
        "training": {"epochs": 5, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                     "validation_fraction": 0.2, "test_fraction": 0.1, "seed": 1, "schedule": {"kind": "constant"}},
        "variable": "batch_norm",
        "values": ["off", "on"],
        "parallel": 2,
    },
    "05-learning-rate": {
        "title": "Learning rate: too high, too low, about right",
        "text": "Plain SGD on the same network, the same weights and batches, with four learning rates. Too low "
        "and the loss barely moves; too high and it jumps around or diverges (NetCanvas stops a run whose loss "
        "is no longer a number and says so); in between it falls fast and steadily.",
        "look_at": "The loss curves: 0.00002 barely moves, 0.01 falls fast and steadily, 0.3 takes steps too large to settle "
        "and ends near chance (its units die: the layer table shows fc2's output spread exploding and act2's "
        "output at 0), 2.0 diverges in its first steps (the ranking says where).",
        "model": mlp("mlp", [128, 64], act="ReLU", init="he_uniform"),
        "dataset": FASHION,
        "samples_per_class": 300,
        "training": {"epochs": 5, "batch_size": 32, "optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                     "validation_fraction": 0.2, "test_fraction": 0.1, "seed": 1, "schedule": {"kind": "constant"}},
        "variable": "learning_rate",
        "values": ["0.00002", "0.01", "0.3", "2.0"],
        "parallel": 2,
    },
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, body in LESSONS.items():
        doc = {"format": "netcanvas-lesson", "version": 1}
        doc.update(body)
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        print("wrote", name)
