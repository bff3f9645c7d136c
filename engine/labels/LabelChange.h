#pragma once
// LabelChange: one reversible edit of a folder's labels, as a plain value.
//
// What this represents: the operations a user action made (create, rename, move, remove a
// class; relabel images), each holding what it needs to be undone — the previous labels of
// the images it relabels, the position of the class it removes. `inverse()` undoes it.
// LabelStore returns one from every mutating call; the app keeps it in a QUndoCommand
// (undo = store.revert(change), redo = store.apply(change)), so the engine never sees Qt.
//
// Requires (to apply): the labels are as they were when the change was made, or right
// after its inverse — which an undo stack guarantees. LabelStore checks it and throws
// DataError naming the image or class when they are not.
#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace netcanvas {

struct LabelOp {
    enum class Kind { AddClass, RemoveClass, RenameClass, MoveClass, SetLabels };
    // One image's label before and after; "" = unlabeled. Images by id (relative path).
    struct Relabel {
        std::string image;
        std::string before;
        std::string after;
    };

    Kind kind = Kind::SetLabels;
    std::string name; // Add/Remove/Move: the class; Rename: its old name
    std::string newName; // Rename: the new name
    int position = -1; // Add: where it goes; Remove: where it was; Move: from
    int target = -1; // Move: to
    std::vector<Relabel> relabels; // SetLabels

    LabelOp inverse() const;
    nlohmann::json toJson() const;
    // Throws FormatError("<where>: ...") on a malformed op.
    static LabelOp fromJson(const nlohmann::json& j, const std::string& where);
};

struct LabelChange {
    std::string text; // for the undo stack: "Label 3 images 'cat'", "Rename class 'a' to 'b'"
    std::vector<LabelOp> ops;

    // True when applying it changes nothing (e.g. labeling images with the label they have).
    bool empty() const;
    // The ops reversed and each inverted; text "Undo: ...".
    LabelChange inverse() const;
    // Number of images whose label it changes.
    size_t relabeledCount() const;
};

} // namespace netcanvas
