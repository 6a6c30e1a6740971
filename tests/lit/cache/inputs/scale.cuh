#define SCALE_BY(v, a) ((v) * (a))
