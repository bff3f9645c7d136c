#include "widgets/inspect/ExplainView.h"

#include "widgets/canvas/CanvasStyle.h"
#include "widgets/inspect/ColorMaps.h"

#include <QBoxLayout>
#include <QButtonGroup>
#include <QLabel>
#include <QPainter>
#include <QPushButton>
#include <QSlider>

#include <algorithm>
#include <cmath>

namespace netcanvas::widgets {

namespace {

constexpr int kMinBox = 96;
constexpr int kMaxBox = 256;
constexpr int kPairGap = 16;
constexpr int kWideWidth = 640; // from this width the scores go right of the images

const QColor kTopBar(0x3b, 0x7d, 0xd8);
const QColor kOtherBar(0xa9, 0xbd, 0xd6);

QString percent(float p)
{
    const double v = 100.0 * static_cast<double>(p);
    if (v > 0.0 && v < 0.05)
        return QStringLiteral("<0.1%");
    return QString::number(v, 'f', 1) + QLatin1Char('%');
}

// An image enlarged by a whole factor into a box of side `box` (when it fits twice), else
// scaled down to fit it. Nearest neighbour when enlarging: pixels stay sharp.
QImage toDisplay(const QImage& image, int box)
{
    if (image.isNull())
        return {};
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    const int side = std::max(rgb.width(), rgb.height());
    if (side * 2 <= box) {
        const int k = box / side;
        return rgb.scaled(rgb.width() * k, rgb.height() * k, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    }
    if (side <= box)
        return rgb;
    return rgb.scaled(box, box, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

} // namespace

namespace explainview {

// The image and the overlay side by side, each with a caption; under the overlay, the color
// bar of the heat map (hidden without an overlay).
class ImagePair : public QWidget {
public:
    explicit ImagePair(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("imagePair"));
        setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    }

    void setContent(QImage left, QImage right, QString rightTitle, QString note, bool legend, int box)
    {
        m_left = std::move(left);
        m_right = std::move(right);
        m_rightTitle = std::move(rightTitle);
        m_note = std::move(note);
        m_legend = legend;
        m_box = box;
        setFixedHeight(contentHeight());
        updateGeometry();
        update();
    }

    int contentHeight() const
    {
        const int fh = fontMetrics().height();
        return 6 + fh + 4 + m_box + 8 + 10 + 2 + fh + 6;
    }
    QSize sizeHint() const override { return { 2 * m_box + kPairGap + 16, contentHeight() }; }
    QSize minimumSizeHint() const override { return { 2 * kMinBox + kPairGap + 16, contentHeight() }; }

protected:
    void paintEvent(QPaintEvent*) override
    {
        if (m_left.isNull())
            return;
        QPainter p(this);
        const QFontMetrics fm = fontMetrics();
        QFont bold = font();
        bold.setBold(true);
        const int x0 = std::max(8, (width() - (2 * m_box + kPairGap)) / 2);
        const int top = 6 + fm.height() + 4;
        const auto panel = [&](int x, const QImage& img, const QString& title) {
            p.setFont(bold);
            p.setPen(style::text());
            p.drawText(QRect(x, 6, m_box, fm.height()), Qt::AlignHCenter | Qt::AlignVCenter, title);
            p.setFont(font());
            p.fillRect(QRect(x, top, m_box, m_box), QColor(0xf3, 0xf4, 0xf6));
            if (img.isNull())
                return QRect();
            const QRect r(x + (m_box - img.width()) / 2, top + (m_box - img.height()) / 2, img.width(), img.height());
            p.drawImage(r.topLeft(), img);
            return r;
        };
        panel(x0, m_left, ExplainView::tr("Image"));
        const int x1 = x0 + m_box + kPairGap;
        panel(x1, m_right, m_rightTitle);
        const int below = top + m_box + 8;
        if (!m_note.isEmpty()) {
            p.setPen(style::mutedText());
            p.drawText(
                QRect(x1, below, m_box, 2 * fm.height()), Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, m_note);
        } else if (m_legend) {
            const QRect bar(x1, below, m_box, 10);
            p.drawImage(bar, colorBar(ColorMap::Inferno, bar.width(), bar.height()));
            p.setPen(style::mutedText());
            const QRect labels(x1, bar.bottom() + 2, m_box, fm.height());
            p.drawText(labels, Qt::AlignLeft | Qt::AlignTop, ExplainView::tr("less important"));
            p.drawText(labels, Qt::AlignRight | Qt::AlignTop, ExplainView::tr("more"));
        }
    }

private:
    QImage m_left, m_right;
    QString m_rightTitle, m_note;
    bool m_legend = false;
    int m_box = 224;
};

// The top-k classes: name | bar | percentage, the first in the accent color.
class ScoreBars : public QWidget {
public:
    explicit ScoreBars(QWidget* parent)
        : QWidget(parent)
    {
        setObjectName(QStringLiteral("scoreBars"));
        setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    }

    struct Row {
        QString name;
        float probability;
    };

    void setRows(std::vector<Row> rows)
    {
        m_rows = std::move(rows);
        setFixedHeight(contentHeight());
        updateGeometry();
        update();
    }

    int rowHeight() const { return fontMetrics().height() + 10; }
    int contentHeight() const
    {
        return 8 + fontMetrics().height() + 6 + std::max<int>(1, static_cast<int>(m_rows.size())) * rowHeight() + 4;
    }
    QSize sizeHint() const override { return { 300, contentHeight() }; }
    QSize minimumSizeHint() const override { return { 180, contentHeight() }; }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        p.setRenderHint(QPainter::Antialiasing);
        const QFontMetrics fm = fontMetrics();
        QFont bold = font();
        bold.setBold(true);
        p.setFont(bold);
        p.setPen(style::text());
        p.drawText(QRect(8, 8, width() - 16, fm.height()), Qt::AlignLeft | Qt::AlignVCenter,
            m_rows.empty() ? ExplainView::tr("No scores")
                           : ExplainView::tr("Top %1 classes").arg(static_cast<int>(m_rows.size())));
        p.setFont(font());
        if (m_rows.empty())
            return;
        int nameW = 0;
        const QFontMetrics bfm(bold); // the first row is bold
        for (const Row& r : m_rows)
            nameW = std::max(nameW, bfm.horizontalAdvance(r.name) + 2);
        nameW = std::min(nameW, width() * 2 / 5);
        const int pctW = fm.horizontalAdvance(QStringLiteral("100.0%")) + 8;
        const int barX = 8 + nameW + 8;
        const int barMax = std::max(20, width() - barX - pctW - 8);
        int y = 8 + fm.height() + 6;
        for (size_t i = 0; i < m_rows.size(); ++i, y += rowHeight()) {
            const Row& r = m_rows[i];
            const QRect row(0, y, width(), rowHeight());
            p.setFont(i == 0 ? bold : font());
            p.setPen(style::text());
            p.drawText(QRect(8, row.y(), nameW, row.height()), Qt::AlignRight | Qt::AlignVCenter,
                QFontMetrics(p.font()).elidedText(r.name, Qt::ElideRight, nameW));
            p.setFont(font());
            const double f = std::clamp(static_cast<double>(r.probability), 0.0, 1.0);
            p.setPen(Qt::NoPen);
            p.setBrush(QColor(0xee, 0xf1, 0xf5));
            const double barH = row.height() - 10;
            p.drawRoundedRect(QRectF(barX, row.y() + 5, barMax, barH), 3, 3);
            if (f > 0.0) {
                p.setBrush(i == 0 ? kTopBar : kOtherBar);
                p.drawRoundedRect(QRectF(barX, row.y() + 5, std::max(2.0, barMax * f), barH), 3, 3);
            }
            p.setPen(i == 0 ? style::text() : style::mutedText());
            p.drawText(QRect(barX + barMax + 6, row.y(), pctW, row.height()), Qt::AlignLeft | Qt::AlignVCenter,
                percent(r.probability));
        }
    }

private:
    std::vector<Row> m_rows;
};

} // namespace explainview

using explainview::ImagePair;
using explainview::ScoreBars;

ExplainView::ExplainView(QWidget* parent)
    : QWidget(parent)
{
    auto* v = new QVBoxLayout(this);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(4);
    m_prediction = new QLabel(this);
    m_prediction->setObjectName(QStringLiteral("prediction"));
    m_prediction->setTextFormat(Qt::PlainText);
    m_prediction->setStyleSheet(
        QStringLiteral("font-weight: bold; font-size: 14px; color: #252b36; padding: 6px 8px 0 8px;"));
    v->addWidget(m_prediction);

    // Overlay toggle and opacity.
    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(8, 0, 8, 0);
    controls->setSpacing(4);
    auto* overlayLabel = new QLabel(tr("Overlay:"), this);
    overlayLabel->setStyleSheet(QStringLiteral("color: #76808e;"));
    controls->addWidget(overlayLabel);
    m_gradCamButton = new QPushButton(tr("Grad-CAM"), this);
    m_gradCamButton->setToolTip(
        tr("Where the last convolution's features speak for this class (Selvaraju et al. 2017)"));
    m_saliencyButton = new QPushButton(tr("Saliency"), this);
    m_saliencyButton->setToolTip(tr("Pixels whose change moves this class's score the most (input gradient)"));
    m_noneButton = new QPushButton(tr("None"), this);
    m_noneButton->setToolTip(tr("The image alone"));
    auto* group = new QButtonGroup(this);
    for (QPushButton* b : { m_gradCamButton, m_saliencyButton, m_noneButton }) {
        b->setCheckable(true);
        b->setFocusPolicy(Qt::TabFocus);
        group->addButton(b);
        controls->addWidget(b);
    }
    connect(m_gradCamButton, &QPushButton::clicked, this, [this] { setOverlay(Overlay::GradCam); });
    connect(m_saliencyButton, &QPushButton::clicked, this, [this] { setOverlay(Overlay::Saliency); });
    connect(m_noneButton, &QPushButton::clicked, this, [this] { setOverlay(Overlay::None); });
    controls->addSpacing(16);
    auto* opacityLabel = new QLabel(tr("Opacity"), this);
    opacityLabel->setStyleSheet(QStringLiteral("color: #76808e;"));
    controls->addWidget(opacityLabel);
    m_opacitySlider = new QSlider(Qt::Horizontal, this);
    m_opacitySlider->setObjectName(QStringLiteral("opacity"));
    m_opacitySlider->setRange(0, 100);
    m_opacitySlider->setValue(static_cast<int>(std::lround(m_opacity * 100)));
    m_opacitySlider->setMinimumWidth(80);
    m_opacitySlider->setMaximumWidth(160);
    controls->addWidget(m_opacitySlider, 1);
    m_opacityValue = new QLabel(this);
    m_opacityValue->setMinimumWidth(m_opacityValue->fontMetrics().horizontalAdvance(QStringLiteral("100%")) + 4);
    m_opacityValue->setStyleSheet(QStringLiteral("color: #76808e;"));
    m_opacityValue->setText(QStringLiteral("%1%").arg(std::lround(m_opacity * 100)));
    controls->addWidget(m_opacityValue);
    controls->addStretch(0);
    connect(m_opacitySlider, &QSlider::valueChanged, this, [this](int value) { setOpacity(value / 100.0); });
    v->addLayout(controls);

    m_body = new QBoxLayout(QBoxLayout::LeftToRight);
    m_body->setContentsMargins(0, 0, 0, 0);
    m_body->setSpacing(8);
    m_pair = new ImagePair(this);
    m_bars = new ScoreBars(this);
    m_body->addWidget(m_pair, 0, Qt::AlignTop);
    m_body->addWidget(m_bars, 1, Qt::AlignTop);
    v->addLayout(m_body);
    v->addStretch(1);
    clear();
}

ExplainView::~ExplainView() = default;

void ExplainView::setImage(QImage image)
{
    m_image = std::move(image);
    recompose();
}

void ExplainView::setScores(std::vector<inspect::ClassScore> scores, QStringList classNames)
{
    m_scores = std::move(scores);
    m_names = std::move(classNames);
    std::vector<ScoreBars::Row> rows;
    for (const auto& s : m_scores)
        rows.push_back({ className(s.cls), s.probability });
    m_bars->setRows(std::move(rows));
    m_prediction->setText(m_scores.empty()
            ? QString()
            : QStringLiteral("%1 · %2").arg(className(m_scores.front().cls), percent(m_scores.front().probability)));
    m_prediction->setVisible(!m_scores.empty());
}

void ExplainView::setHeatmaps(const inspect::Heatmap& saliency, const inspect::Heatmap& gradCam)
{
    m_saliency = saliency;
    m_gradCam = gradCam;
    updateButtons();
    recompose();
}

void ExplainView::clear()
{
    m_image = QImage();
    setScores({}, {});
    setHeatmaps({}, {});
}

void ExplainView::setOverlay(Overlay overlay)
{
    const bool changed = overlay != m_overlay;
    m_overlay = overlay;
    updateButtons();
    recompose();
    if (changed)
        emit overlayChanged(overlay);
}

void ExplainView::setOpacity(double opacity)
{
    opacity = std::clamp(opacity, 0.0, 1.0);
    m_opacityValue->setText(QStringLiteral("%1%").arg(std::lround(opacity * 100)));
    if (opacity == m_opacity)
        return;
    m_opacity = opacity;
    const QSignalBlocker block(m_opacitySlider);
    m_opacitySlider->setValue(static_cast<int>(std::lround(opacity * 100)));
    recompose();
    emit opacityChanged(opacity);
}

QStringList ExplainView::scoreTexts() const
{
    QStringList out;
    for (const auto& s : m_scores)
        out << QStringLiteral("%1 %2").arg(className(s.cls), percent(s.probability));
    return out;
}

QString ExplainView::predictionText() const
{
    return m_prediction->text();
}

void ExplainView::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    const bool wide = width() >= kWideWidth;
    m_body->setDirection(wide ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom);
    recompose();
}

QString ExplainView::className(int c) const
{
    return c >= 0 && c < m_names.size() && !m_names[c].isEmpty() ? m_names[c] : QString::number(c);
}

const inspect::Heatmap* ExplainView::currentMap() const
{
    const auto usable = [](const inspect::Heatmap& h) {
        return h.height > 0 && h.width > 0
            && h.values.size() == static_cast<size_t>(h.height) * static_cast<size_t>(h.width);
    };
    if (m_overlay == Overlay::GradCam && usable(m_gradCam))
        return &m_gradCam;
    if (m_overlay == Overlay::Saliency && usable(m_saliency))
        return &m_saliency;
    return nullptr;
}

void ExplainView::updateButtons()
{
    const auto usable = [](const inspect::Heatmap& h) { return h.height > 0 && h.width > 0; };
    m_gradCamButton->setEnabled(usable(m_gradCam));
    m_saliencyButton->setEnabled(usable(m_saliency));
    m_gradCamButton->setChecked(m_overlay == Overlay::GradCam);
    m_saliencyButton->setChecked(m_overlay == Overlay::Saliency);
    m_noneButton->setChecked(m_overlay == Overlay::None);
    m_opacitySlider->setEnabled(m_overlay != Overlay::None);
}

void ExplainView::recompose()
{
    // Image boxes as large as the room allows: half the width (wide: of its 60% share).
    const int room = width() >= kWideWidth ? width() * 3 / 5 : width();
    const int box = std::clamp((room - kPairGap - 16) / 2, kMinBox, kMaxBox);
    m_display = toDisplay(m_image, box);
    const inspect::Heatmap* map = currentMap();
    m_overlaid = map ? overlayHeatmap(m_display, *map, static_cast<float>(m_opacity)) : m_display;
    QString title = tr("No overlay");
    QString note;
    if (m_overlay == Overlay::GradCam)
        title = tr("Grad-CAM");
    else if (m_overlay == Overlay::Saliency)
        title = tr("Saliency");
    if (m_overlay != Overlay::None && !map)
        note = tr("No %1 map for this image").arg(title);
    m_pair->setContent(m_display, m_overlaid, title, note, map != nullptr, box);
    m_pair->setVisible(!m_image.isNull());
}

} // namespace netcanvas::widgets
