// Unit tests are pure functions of their inputs: pin the time zone they would otherwise inherit.
process.env.TZ = 'UTC';
