// SC OR over W stream bits per cycle (spec 2).
`timescale 1ns / 1ps
`default_nettype none
`include "sc_gate2.vh"
`SC_GATE2(sc_or, a | b)
`default_nettype wire
