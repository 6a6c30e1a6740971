/* n-body (Computer Language Benchmarks Game): a simple symplectic integrator for the Jovian planets.
 * Prints the total energy before and after N steps. */
#include <math.h>
#include "pyrepr.h"

#define N_STEPS 20000000
#define PI 3.141592653589793
#define SOLAR_MASS (4.0 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define NBODIES 5

typedef struct { double x, y, z, vx, vy, vz, mass; } Body;

static Body bodies[NBODIES];

static void init(void) {
    bodies[0] = (Body){0, 0, 0, 0, 0, 0, SOLAR_MASS};
    bodies[1] = (Body){4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
                       1.66007664274403694e-03 * DAYS_PER_YEAR, 7.69901118419740425e-03 * DAYS_PER_YEAR,
                       -6.90460016972063023e-05 * DAYS_PER_YEAR, 9.54791938424326609e-04 * SOLAR_MASS};
    bodies[2] = (Body){8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
                       -2.76742510726862411e-03 * DAYS_PER_YEAR, 4.99852801234917238e-03 * DAYS_PER_YEAR,
                       2.30417297573763929e-05 * DAYS_PER_YEAR, 2.85885980666130812e-04 * SOLAR_MASS};
    bodies[3] = (Body){1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
                       2.96460137564761618e-03 * DAYS_PER_YEAR, 2.37847173959480950e-03 * DAYS_PER_YEAR,
                       -2.96589568540237556e-05 * DAYS_PER_YEAR, 4.36624404335156298e-05 * SOLAR_MASS};
    bodies[4] = (Body){1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
                       2.68067772490389322e-03 * DAYS_PER_YEAR, 1.62824170038242295e-03 * DAYS_PER_YEAR,
                       -9.51592254519715870e-05 * DAYS_PER_YEAR, 5.15138902046611451e-05 * SOLAR_MASS};
}

static void offset_momentum(void) {
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void) {
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        Body *b = &bodies[i];
        e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            Body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            e -= b->mass * c->mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void advance(double dt) {
    for (int i = 0; i < NBODIES; i++) {
        Body *b = &bodies[i];
        for (int j = i + 1; j < NBODIES; j++) {
            Body *c = &bodies[j];
            double dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            double mi = b->mass * mag, mj = c->mass * mag;
            b->vx -= dx * mj;
            b->vy -= dy * mj;
            b->vz -= dz * mj;
            c->vx += dx * mi;
            c->vy += dy * mi;
            c->vz += dz * mi;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        Body *b = &bodies[i];
        b->x += dt * b->vx;
        b->y += dt * b->vy;
        b->z += dt * b->vz;
    }
}

int main(void) {
    init();
    offset_momentum();
    print_f64(energy());
    for (int i = 0; i < N_STEPS; i++) advance(0.01);
    print_f64(energy());
    return 0;
}
