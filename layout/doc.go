// Package layout is the pure geometry of the video mixer: it decides where
// each participant's picture goes on the output canvas and which part of the
// picture is used.
//
// Every rectangle it returns has even X, Y, W and H, because the canvas is
// YUV 4:2:0 and a chroma sample covers 2x2 luma pixels. A canvas with an odd
// width or height is used as if it were one pixel smaller; sizes beyond
// [MaxDim] are clamped or treated as degenerate.
//
// [Cells] returns one cell per participant, in participant order. In [Grid]
// mode all cells have the same size: the number of columns and rows is the one
// that gives a 16:9 picture fitted into a cell the largest area, the grid is
// centred on the canvas and a last, incomplete row is centred horizontally.
// In [Speaker] mode one participant gets the top of the canvas and the others
// share a strip of 16:9 thumbnails along the bottom.
//
// [Place] then maps a source picture into a cell, either whole and
// letterboxed ([Fit]) or cropped to fill the cell ([Fill]).
//
// Cells that cannot hold a 2x2 picture (tiny canvases, huge participant
// counts) are returned as empty rectangles at the origin; the functions never
// panic on bad sizes.
package layout
