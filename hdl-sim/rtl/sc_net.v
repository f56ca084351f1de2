// A time-multiplexed SC spiking network core (spec 7) in the counting form
// of spec 7.1: one LIF datapath, one input generator, the model in RAM.
//
// Use:
//  1. Write the model's words through cfg_* while idle: the words of
//     `sc model export --format memh` from `format` on (word 2 of the SCM1
//     image; equally the payload of a `network` vector record), at address
//     0 up. Layout: docs/vectors.md.
//  2. Pulse `prep`. The core walks the model, checks it against its size
//     parameters (err = 1: another number format than FMT; err = 2: a size
//     beyond LB/MB/NB/SB/MAW) and converts it in place: every weight word
//     P_ji becomes the signed count s(j,i) * n_ji, n_ji = #{t < L_k :
//     r^w_t < P_ji} (the weight source's first L_k values), and layer 0's
//     ranks of pi (positions ordered by ascending r^w_t, ties by position)
//     go to the rank RAM. `ready` rises when done. Pulse prep once per load.
//  3. Write the layer-0 input probabilities (Q0.16, 0..65536) through in_*,
//     set `steps`, pulse `start`. Each step, for layer 0: the step's input
//     generator values are stored at their rank (q_m = r^x(t0 + pi(m))),
//     each input's prefix counts T_i[n] = #{m < n : q_m < P_i} are built
//     in the T RAM (two banks: even and odd inputs, two inputs per pass
//     over q), and neuron j's count is sum_i s * T_i[|n_ji|]; for
//     layers k >= 1 the count is the sum of the signed counts of the inputs
//     that spiked. Then I = sat_W(floor(c * G / L)) (sequential multiply
//     and divide) and one LIF step (sc_lif_step, pipelined) per neuron. Every LIF
//     step is shown on ev_* (step, layer, neuron, spike). `done` rises with the last
//     layer's spike counts readable at cnt_addr/cnt_data and the predicted
//     class (largest count, ties to the smaller index) in `pred`. A start
//     without a prepared model sets err = 3 and done, and runs nothing.
// Each run starts from the initial state (v = v_rest, r = 0, a fresh input
// generator), so runs are independent.
`timescale 1ns / 1ps
`default_nettype none
module sc_net #(
    parameter integer W   = 32,  // LIF raw width: Q16.16 = 32/16, Q8.8 = 16/8
    parameter integer F   = 16,
    parameter integer FMT = 0,   // the format code this core runs (q16.16 = 0, q8.8 = 1)
    parameter integer MAW = 13,  // model RAM: 2^MAW words of 32 bits
    parameter integer LB  = 8,   // stream length L_k <= 2^LB
    parameter integer MB  = 7,   // layer-0 inputs <= 2^MB
    parameter integer NB  = 6,   // neurons per layer <= 2^NB
    parameter integer SB  = 7    // neurons of all layers <= 2^SB
) (
    input  wire              clk,
    input  wire              rst,
    // model load (while idle)
    input  wire              cfg_we,
    input  wire [MAW-1:0]    cfg_addr,
    input  wire [31:0]       cfg_data,
    // layer-0 input probabilities (while idle)
    input  wire              in_we,
    input  wire [MB-1:0]     in_addr,
    input  wire [16:0]       in_data,
    // control
    input  wire              prep,
    input  wire              start,
    input  wire [16:0]       steps,
    output wire              busy,
    output reg               ready,
    output reg               done,
    output reg  [1:0]        err,
    // readout (while idle)
    input  wire [NB-1:0]     cnt_addr,
    output wire [16:0]       cnt_data,
    output reg  [NB-1:0]     pred,
    // one pulse per LIF step
    output reg               ev_valid,
    output reg  [15:0]       ev_step,
    output reg  [7:0]        ev_layer,
    output reg  [NB-1:0]     ev_neuron,
    output reg               ev_spike
);
    localparam integer XB = ((LB > MB ? LB : MB) > NB ? (LB > MB ? LB : MB) : NB) + 1;
    localparam integer TA = MB + LB;
    localparam [XB-1:0] NMAXX = 1 << NB;
    localparam integer WM1I = W - 1;
    localparam [6:0] WM1 = WM1I[6:0];
    localparam [5:0]
        S_IDLE = 6'd0,  S_RDW  = 6'd1,  S_H1   = 6'd2,  S_H2   = 6'd3,  S_H3   = 6'd4,
        S_H4   = 6'd5,  S_H5   = 6'd6,  S_H6   = 6'd7,  S_LL   = 6'd8,  S_LLC  = 6'd9,
        S_LLM  = 6'd10, S_LLG  = 6'd11, S_PL   = 6'd12, S_PGW  = 6'd13, S_PG   = 6'd14,
        S_PR   = 6'd15, S_PR1  = 6'd16, S_PR2  = 6'd17, S_PRS  = 6'd18, S_PRW  = 6'd19,
        S_PC0  = 6'd20, S_PC1  = 6'd21, S_PC2  = 6'd22, S_PCS  = 6'd23, S_PCW  = 6'd24,
        S_PN   = 6'd25, S_RCLR = 6'd26, S_RGW  = 6'd27, S_RST  = 6'd28, S_RL   = 6'd29,
        S_RQG  = 6'd30, S_RTP  = 6'd31, S_RTP1 = 6'd32, S_RTP2 = 6'd33, S_RTS  = 6'd34,
        S_RMJ  = 6'd35, S_RMS  = 6'd36, S_RNF  = 6'd37, S_RMUL = 6'd38, S_RDIV = 6'd39,
        S_RSAT = 6'd40, S_RLIF = 6'd41, S_RLE  = 6'd42, S_RAM  = 6'd43, S_PCI  = 6'd44,
        S_RLW1 = 6'd45, S_RLW2 = 6'd46, S_RTP3 = 6'd47;

    reg [5:0] state, ret, ll_ret;

    // ------------------------------------------------------------ memories
    reg            m_we;
    reg  [MAW-1:0] m_addr;
    reg  [31:0]    m_wdata;
    wire [31:0]    m_q;
    wire           idle = (state == S_IDLE);
    wire [MAW-1:0] m_a = idle ? cfg_addr : m_addr;
    sc_ram #(.DW(32), .AW(MAW), .SP(1)) u_model (
        .clk(clk), .we(idle ? cfg_we : m_we), .waddr(m_a), .wdata(idle ? cfg_data : m_wdata),
        .raddr(m_a), .rdata(m_q));

    reg  [MB-1:0]  p_raddr;
    wire [16:0]    p_q;
    sc_ram #(.DW(17), .AW(MB)) u_in (
        .clk(clk), .we(in_we & idle), .waddr(in_addr), .wdata(in_data), .raddr(p_raddr), .rdata(p_q));

    reg            q_we;
    reg  [LB-1:0]  q_waddr, q_raddr;
    reg  [15:0]    q_wdata;
    wire [15:0]    q_q;
    sc_ram #(.DW(16), .AW(LB)) u_q (
        .clk(clk), .we(q_we), .waddr(q_waddr), .wdata(q_wdata), .raddr(q_raddr), .rdata(q_q));

    reg            rk_we;
    reg  [LB-1:0]  rk_waddr, rk_wdata, rk_raddr;
    wire [LB-1:0]  rk_q;
    sc_ram #(.DW(LB), .AW(LB)) u_rank (
        .clk(clk), .we(rk_we), .waddr(rk_waddr), .wdata(rk_wdata), .raddr(rk_raddr), .rdata(rk_q));

    // T in two banks, even and odd inputs, built two inputs per pass.
    reg            t_we0, t_we1;
    reg  [TA-2:0]  t_addr;
    reg  [LB:0]    t_wdata0, t_wdata1;
    wire [LB:0]    t_q0, t_q1;
    sc_ram #(.DW(LB + 1), .AW(TA - 1), .SP(1)) u_t0 (
        .clk(clk), .we(t_we0), .waddr(t_addr), .wdata(t_wdata0), .raddr(t_addr), .rdata(t_q0));
    sc_ram #(.DW(LB + 1), .AW(TA - 1), .SP(1)) u_t1 (
        .clk(clk), .we(t_we1), .waddr(t_addr), .wdata(t_wdata1), .raddr(t_addr), .rdata(t_q1));

    reg            s_we;
    reg  [SB-1:0]  s_waddr, s_raddr;
    reg  [W-1:0]   v_wdata;
    reg  [15:0]    r_wdata;
    wire [W-1:0]   v_q;
    wire [15:0]    r_q;
    sc_ram #(.DW(W), .AW(SB)) u_v (
        .clk(clk), .we(s_we), .waddr(s_waddr), .wdata(v_wdata), .raddr(s_raddr), .rdata(v_q));
    sc_ram #(.DW(16), .AW(SB)) u_r (
        .clk(clk), .we(s_we), .waddr(s_waddr), .wdata(r_wdata), .raddr(s_raddr), .rdata(r_q));

    reg            c_we;
    reg  [NB-1:0]  c_waddr, c_raddr;
    reg  [16:0]    c_wdata;
    sc_ram #(.DW(17), .AW(NB)) u_cnt (
        .clk(clk), .we(c_we), .waddr(c_waddr), .wdata(c_wdata), .raddr(idle ? cnt_addr : c_raddr),
        .rdata(cnt_data));

    // ---------------------------------------------------------- generator
    reg         g_kind;     // 0 = Sobol, 1 = LFSR-16
    reg  [15:0] g_param;    // Sobol dimension or LFSR seed
    reg  [XB-1:0] sc, lim;  // stream counter and its end
    wire        g_load = (state == S_PGW) || (state == S_RGW);
    wire        g_en = (state == S_PG) || (state == S_RQG && sc != lim);
    wire [15:0] sobol_r, lfsr_r;
    /* verilator lint_off UNUSEDSIGNAL */
    wire [15:0] sobol_index, lfsr_state;
    wire [3:0]  sobol_dim;
    /* verilator lint_on UNUSEDSIGNAL */
    sc_sobol u_sobol (
        .clk(clk), .load(g_load), .dim_in(g_param[3:0]), .start(16'd0), .en(g_en & ~g_kind),
        .r(sobol_r), .index(sobol_index), .dim(sobol_dim));
    sc_lfsr #(.WIDTH(16), .MASK(16'hB400)) u_lfsr (
        .clk(clk), .load(g_load), .seed(g_param), .en(g_en & g_kind), .state(lfsr_state), .r(lfsr_r));
    wire [15:0] gen_r = g_kind ? lfsr_r : sobol_r;

    // ------------------------------------------------------- model header
    reg  [7:0]     nl;                 // layers
    reg            w_kind, i_kind;
    reg  [15:0]    w_param, i_param;
    reg  [7:0]     k;                  // current layer
    reg  [MAW-1:0] lbase, next_lbase, wbase, sbase, wp, srow;
    reg  [SB:0]    nbase;
    reg  [XB-1:0]  m, n;               // inputs, neurons of layer k
    reg  [LB:0]    len;
    reg  signed [W-1:0] v_rest, v_reset, thr, alpha, res, gain;
    reg  [15:0]    refr;
    reg  [3:0]     ll_i;
    reg  [MAW+1:0] nm, nsw;
    wire [XB-1:0]  sw = (m + 31) >> 5;  // sign words per row
    wire [MAW-1:0] nl_a = {{(MAW-8){1'b0}}, nl};
    wire [MAW-1:0] k_a = {{(MAW-8){1'b0}}, k};

    // ----------------------------------------------------------- datapath
    reg  [XB-1:0]  i, j, t, d1, d2;
    reg            v1, v2, b1, b2, neg1, neg2, par1, par2, two;
    reg  [15:0]    g1, g2, rt;
    reg  [16:0]    pw, pw1;
    reg  [LB:0]    cnt1;
    reg  [LB:0]    cnt;
    reg            sgn;
    reg  signed [31:0] acc;
    reg  [(1 << NB)-1:0] z_in, z_out;
    reg  [16:0]    steps_r, step;
    reg  [31:0]    mul_a;
    reg  [63:0]    dq;
    reg  [W-1:0]   mul_b;
    reg  [6:0]     it;
    reg  [2:0]     lw;
    reg  [LB+1:0]  rem;
    reg  signed [W-1:0] cur;
    reg  [16:0]    best;
    reg  [NB-1:0]  best_j;

    wire           first = (step == 17'd0);
    wire signed [W-1:0] lif_v = first ? v_rest : v_q;
    wire [15:0]    lif_r = first ? 16'd0 : r_q;
    wire signed [W-1:0] lif_vn;
    wire [15:0]    lif_rn;
    wire           lif_sp;
    sc_lif_step #(.W(W), .F(F), .PIPE(1)) u_lif (
        .clk(clk), .v(lif_v), .r(lif_r), .i_in(cur), .v_rest(v_rest), .v_reset(v_reset), .threshold(thr),
        .alpha(alpha), .res(res), .refractory(refr), .v_next(lif_vn), .r_next(lif_rn), .spike(lif_sp));

    // stream helpers
    wire           s_issue = (sc != lim);
    wire           s_end = !s_issue && !v1 && !v2;
    // |n_ji| <= L <= 2^LB: the low LB + 1 bits of the signed count suffice.
    wire [LB:0]    wmag = m_q[31] ? -m_q[LB:0] : m_q[LB:0];
    /* verilator lint_off UNUSEDSIGNAL */
    wire [LB:0]    wmag1 = wmag - 1'b1;
    wire [LB:0]    cnt_t = cnt + {{LB{1'b0}}, ({1'b0, q_q} < pw)};
    wire [LB:0]    cnt1_t = cnt1 + {{LB{1'b0}}, ({1'b0, q_q} < pw1)};
    wire [LB:0]    t_sel = par2 ? t_q1 : t_q0;
    wire [LB+1:0]  rem_n = {rem[LB:0], dq[63]};
    wire           rem_ge = (rem_n >= {1'b0, len});
    /* verilator lint_on UNUSEDSIGNAL */
    // Saturation of floor(+-dq / L): dq is the quotient, rem the remainder.
    wire           rnz = (rem != {(LB+2){1'b0}});
    wire           ovf_pos = |dq[63:W-1];                                  // dq > 2^(W-1) - 1
    wire           ovf_neg = (|dq[63:W]) || (dq[W-1] && ((|dq[W-2:0]) || rnz)); // dq + rnz > 2^(W-1)
    wire [W-1:0]   negv = -(dq[W-1:0] + {{(W-1){1'b0}}, rnz});
    localparam [W-1:0] MAXW = {1'b0, {(W-1){1'b1}}};
    localparam [W-1:0] MINW = {1'b1, {(W-1){1'b0}}};
    // Shift-add multiply, one bit of |gain| per cycle: |acc| is added at
    // bit 32 and the sum shifts right, so after W cycles dq = |acc| |gain| 2^(32-W).
    wire [32:0]    mul_sum = {1'b0, dq[63:32]} + (mul_b[0] ? {1'b0, mul_a} : 33'd0);
    wire [63:0]    mul_next = {mul_sum, dq[31:1]};
    wire [W-1:0]   gain_mag = gain[W-1] ? -gain : gain;

    assign busy = !idle;

    // The low W bits of a model word (Q8.8 values are sign-extended words).
    function [W-1:0] lo;
        input [31:0] x;
        begin
            lo = x[W-1:0];
        end
    endfunction

    always @(posedge clk) begin
        m_we <= 1'b0; q_we <= 1'b0; rk_we <= 1'b0; t_we0 <= 1'b0; t_we1 <= 1'b0; s_we <= 1'b0; c_we <= 1'b0;
        ev_valid <= 1'b0;
        if (rst) begin
            state <= S_IDLE; ready <= 1'b0; done <= 1'b0; err <= 2'd0; pred <= {NB{1'b0}};
            v1 <= 1'b0; v2 <= 1'b0; b1 <= 1'b0; b2 <= 1'b0;
        end else begin
            case (state)
            S_IDLE: begin
                if (prep) begin
                    ready <= 1'b0; done <= 1'b0; err <= 2'd0;
                    m_addr <= {MAW{1'b0}}; ret <= S_H1; state <= S_RDW;
                end else if (start) begin
                    done <= 1'b0;
                    if (!ready) begin
                        err <= 2'd3; done <= 1'b1;
                    end else begin
                        steps_r <= steps; step <= 17'd0; sc <= {XB{1'b0}}; lim <= NMAXX;
                        g_kind <= i_kind; g_param <= i_param;
                        state <= S_RCLR;
                    end
                end
            end
            S_RDW: state <= ret;
            // ------------------------------------------------ header
            S_H1: begin
                if (m_q != FMT) begin err <= 2'd1; state <= S_IDLE; end
                else begin m_addr <= 1; ret <= S_H2; state <= S_RDW; end
            end
            S_H2: begin
                if (m_q == 32'd0 || m_q > 32'd255 || m_q + 32'd7 >= (32'd1 << MAW)) begin
                    err <= 2'd2; state <= S_IDLE;
                end else begin
                    nl <= m_q[7:0]; m_addr <= m_q[MAW-1:0] + 3; ret <= S_H3; state <= S_RDW;
                end
            end
            S_H3: begin w_kind <= m_q[0]; m_addr <= nl_a + 4; ret <= S_H4; state <= S_RDW; end
            S_H4: begin w_param <= m_q[15:0]; m_addr <= nl_a + 5; ret <= S_H5; state <= S_RDW; end
            S_H5: begin i_kind <= m_q[0]; m_addr <= nl_a + 6; ret <= S_H6; state <= S_RDW; end
            S_H6: begin
                i_param <= m_q[15:0];
                k <= 8'd0; lbase <= nl_a + 7; nbase <= {(SB+1){1'b0}};
                ll_i <= 4'd0; ll_ret <= S_PL; state <= S_LL;
            end
            // ------------------------------------------- layer load
            S_LL: begin
                m_addr <= (ll_i == 4'd0) ? k_a + 2 : (ll_i == 4'd1) ? k_a + 3 : lbase + {{(MAW-4){1'b0}}, ll_i - 4'd2};
                ret <= S_LLC; state <= S_RDW;
            end
            S_LLC: begin
                case (ll_i)
                    4'd0: begin
                        m <= m_q[XB-1:0];
                        if (m_q == 32'd0 || m_q > ((k == 8'd0) ? (32'd1 << MB) : (32'd1 << NB))) err <= 2'd2;
                    end
                    4'd1: begin
                        n <= m_q[XB-1:0];
                        if (m_q == 32'd0 || m_q > (32'd1 << NB)) err <= 2'd2;
                    end
                    4'd2: begin
                        len <= m_q[LB:0];
                        if (m_q == 32'd0 || m_q > (32'd1 << LB)) err <= 2'd2;
                    end
                    4'd3: v_rest <= lo(m_q);
                    4'd4: v_reset <= lo(m_q);
                    4'd5: thr <= lo(m_q);
                    4'd6: alpha <= lo(m_q);
                    4'd7: res <= lo(m_q);
                    default: refr <= m_q[15:0];
                endcase
                if (ll_i == 4'd8) begin
                    nm <= {(MAW+2){1'b0}}; nsw <= {(MAW+2){1'b0}}; j <= {XB{1'b0}}; state <= S_LLM;
                end else begin
                    ll_i <= ll_i + 4'd1; state <= S_LL;
                end
            end
            S_LLM: begin
                if (err != 2'd0) state <= S_IDLE;
                else if (j != n) begin
                    nm <= nm + {{(MAW+2-XB){1'b0}}, m}; nsw <= nsw + {{(MAW+2-XB){1'b0}}, sw}; j <= j + 1;
                end else if ({2'b0, lbase} + 7 + nm + nsw >= (1 << MAW)) begin
                    err <= 2'd2; state <= S_IDLE;
                end else begin
                    m_addr <= lbase + 7 + nm[MAW-1:0] + nsw[MAW-1:0];
                    ret <= S_LLG; state <= S_RDW;
                end
            end
            S_LLG: begin
                gain <= lo(m_q);
                wbase <= lbase + 7;
                sbase <= lbase + 7 + nm[MAW-1:0];
                next_lbase <= lbase + 8 + nm[MAW-1:0] + nsw[MAW-1:0];
                state <= ll_ret;
            end
            // --------------------------------------------------- prep
            S_PL: begin
                if (nbase + n > (1 << SB)) begin
                    err <= 2'd2; state <= S_IDLE;
                end else begin
                    g_kind <= w_kind; g_param <= w_param; t <= {XB{1'b0}}; state <= S_PGW;
                end
            end
            S_PGW: state <= S_PG;   // g_load: a fresh weight generator
            S_PG: begin
                q_we <= 1'b1; q_waddr <= t[LB-1:0]; q_wdata <= gen_r;
                t <= t + 1;
                if (t + 1 == len) begin
                    t <= {XB{1'b0}};
                    state <= (k == 8'd0) ? S_PR : S_PCI;
                end
            end
            S_PR: begin q_raddr <= t[LB-1:0]; state <= S_PR1; end
            S_PR1: state <= S_PR2;
            S_PR2: begin
                rt <= q_q; sc <= {XB{1'b0}}; lim <= len; cnt <= {(LB+1){1'b0}}; state <= S_PRS;
            end
            S_PRS: begin
                if (s_issue) begin q_raddr <= sc[LB-1:0]; sc <= sc + 1; end
                v1 <= s_issue; d1 <= sc; v2 <= v1; d2 <= d1;
                if (v2 && (q_q < rt || (q_q == rt && d2 < t))) cnt <= cnt + 1;
                if (s_end) state <= S_PRW;
            end
            S_PRW: begin
                rk_we <= 1'b1; rk_waddr <= t[LB-1:0]; rk_wdata <= cnt[LB-1:0];
                t <= t + 1;
                state <= (t + 1 == len) ? S_PCI : S_PR;
            end
            S_PCI: begin
                i <= {XB{1'b0}}; j <= {XB{1'b0}}; wp <= wbase; srow <= sbase; state <= S_PC0;
            end
            S_PC0: begin m_addr <= wp; ret <= S_PC1; state <= S_RDW; end
            S_PC1: begin
                pw <= m_q[16:0];
                m_addr <= srow + {{(MAW-XB+5){1'b0}}, i[XB-1:5]};
                ret <= S_PC2; state <= S_RDW;
            end
            S_PC2: begin
                sgn <= m_q[i[4:0]];
                sc <= {XB{1'b0}}; lim <= len; cnt <= {(LB+1){1'b0}}; state <= S_PCS;
            end
            S_PCS: begin
                if (s_issue) begin q_raddr <= sc[LB-1:0]; sc <= sc + 1; end
                v1 <= s_issue; d1 <= sc; v2 <= v1; d2 <= d1;
                if (v2) cnt <= cnt_t;
                if (s_end) state <= S_PCW;
            end
            S_PCW: begin
                m_we <= 1'b1; m_addr <= wp;
                m_wdata <= sgn ? -{{(31-LB){1'b0}}, cnt} : {{(31-LB){1'b0}}, cnt};
                wp <= wp + 1;
                if (i + 1 == m) begin
                    i <= {XB{1'b0}}; j <= j + 1; srow <= srow + {{(MAW-XB){1'b0}}, sw};
                    state <= (j + 1 == n) ? S_PN : S_PC0;
                end else begin
                    i <= i + 1; state <= S_PC0;
                end
            end
            S_PN: begin
                nbase <= nbase + n[SB:0]; k <= k + 8'd1; lbase <= next_lbase;
                if (k + 8'd1 == nl) begin
                    ready <= 1'b1; state <= S_IDLE;
                end else begin
                    ll_i <= 4'd0; ll_ret <= S_PL; state <= S_LL;
                end
            end
            // ---------------------------------------------------- run
            S_RCLR: begin   // clear the spike counts, then load the input generator
                c_we <= 1'b1; c_waddr <= sc[NB-1:0]; c_wdata <= 17'd0; sc <= sc + 1;
                if (sc + 1 == lim) state <= S_RGW;
            end
            S_RGW: begin
                if (steps_r == 17'd0) begin
                    pred <= {NB{1'b0}}; done <= 1'b1; state <= S_IDLE;
                end else state <= S_RST;
            end
            S_RST: begin
                k <= 8'd0; lbase <= nl_a + 7; nbase <= {(SB+1){1'b0}};
                ll_i <= 4'd0; ll_ret <= S_RL; state <= S_LL;
            end
            S_RL: begin
                wp <= wbase; j <= {XB{1'b0}}; i <= {XB{1'b0}}; sc <= {XB{1'b0}};
                if (k == 8'd0) begin lim <= len; state <= S_RQG; end
                else state <= S_RMJ;
            end
            S_RQG: begin    // q[rank(u)] = r^x(t0 + u); g_en advances while issuing
                if (s_issue) begin rk_raddr <= sc[LB-1:0]; sc <= sc + 1; end
                v1 <= s_issue; g1 <= gen_r; v2 <= v1; g2 <= g1;
                if (v2) begin q_we <= 1'b1; q_waddr <= rk_q; q_wdata <= g2; end
                if (s_end) state <= S_RTP;
            end
            S_RTP: begin p_raddr <= i[MB-1:0]; state <= S_RTP1; end
            S_RTP1: begin p_raddr <= i[MB-1:0] + 1'b1; two <= (i + 1 != m); state <= S_RTP2; end
            S_RTP2: begin pw <= p_q; state <= S_RTP3; end
            S_RTP3: begin
                pw1 <= p_q; sc <= {XB{1'b0}}; lim <= len;
                cnt <= {(LB+1){1'b0}}; cnt1 <= {(LB+1){1'b0}}; state <= S_RTS;
            end
            S_RTS: begin    // T_i[d + 1] and T_(i+1)[d + 1] at {i / 2, d} of banks 0 and 1
                if (s_issue) begin q_raddr <= sc[LB-1:0]; sc <= sc + 1; end
                v1 <= s_issue; d1 <= sc; v2 <= v1; d2 <= d1;
                if (v2) begin
                    cnt <= cnt_t; cnt1 <= cnt1_t;
                    t_we0 <= 1'b1; t_we1 <= two; t_addr <= {i[MB-1:1], d2[LB-1:0]};
                    t_wdata0 <= cnt_t; t_wdata1 <= cnt1_t;
                end
                if (s_end) begin
                    i <= i + 2;
                    state <= two && (i + 2 != m) ? S_RTP : S_RMJ;
                end
            end
            S_RMJ: begin
                acc <= 32'sd0; sc <= {XB{1'b0}}; lim <= m; state <= S_RMS;
            end
            S_RMS: begin
                if (s_issue) begin m_addr <= wp; wp <= wp + 1; sc <= sc + 1; end
                v1 <= s_issue; d1 <= sc; v2 <= v1; d2 <= d1;
                b1 <= 1'b0;
                if (v2) begin
                    if (k == 8'd0) begin
                        t_addr <= {d2[MB-1:1], wmag1[LB-1:0]};
                        b1 <= (m_q != 32'd0); neg1 <= m_q[31]; par1 <= d2[0];
                    end else if (z_in[d2[NB-1:0]]) begin
                        acc <= acc + $signed(m_q);
                    end
                end
                b2 <= b1; neg2 <= neg1; par2 <= par1;
                if (b2) acc <= neg2 ? acc - $signed({{(31-LB){1'b0}}, t_sel})
                                    : acc + $signed({{(31-LB){1'b0}}, t_sel});
                if (s_end && !b1 && !b2) state <= S_RNF;
            end
            S_RNF: begin
                mul_a <= acc[31] ? -acc : acc;
                mul_b <= gain_mag;
                sgn <= acc[31] ^ gain[W-1];
                dq <= 64'd0; it <= 7'd0;
                s_raddr <= nbase[SB-1:0] + j[SB-1:0]; c_raddr <= j[NB-1:0];
                state <= S_RMUL;
            end
            S_RMUL: begin   // dq = |acc| * |gain|
                dq <= mul_next; mul_b <= mul_b >> 1;
                it <= it + 7'd1;
                if (it == WM1) begin
                    dq <= mul_next >> (32 - W);
                    it <= 7'd0; rem <= {(LB+2){1'b0}}; state <= S_RDIV;
                end
            end
            S_RDIV: begin   // dq = dq / len, rem = dq % len (restoring, one bit per cycle)
                dq <= {dq[62:0], rem_ge};
                rem <= rem_ge ? rem_n - {1'b0, len} : rem_n;
                it <= it + 7'd1;
                if (it == 7'd63) state <= S_RSAT;
            end
            S_RSAT: begin   // floor toward -inf, then saturate to W bits
                if (!sgn) cur <= ovf_pos ? MAXW : dq[W-1:0];
                else cur <= ovf_neg ? MINW : negv;
                state <= S_RLW1;
            end
            S_RLW1: begin lw <= 3'd0; state <= S_RLW2; end   // the LIF pipeline's five stages
            S_RLW2: begin lw <= lw + 3'd1; if (lw == 3'd3) state <= S_RLIF; end
            S_RLIF: begin
                s_we <= 1'b1; s_waddr <= nbase[SB-1:0] + j[SB-1:0];
                v_wdata <= lif_vn; r_wdata <= lif_rn;
                z_out[j[NB-1:0]] <= lif_sp;
                ev_valid <= 1'b1; ev_step <= step[15:0]; ev_layer <= k; ev_neuron <= j[NB-1:0];
                ev_spike <= lif_sp;
                if (k + 8'd1 == nl) begin
                    c_we <= 1'b1; c_waddr <= j[NB-1:0]; c_wdata <= cnt_data + {16'd0, lif_sp};
                end
                j <= j + 1;
                state <= (j + 1 == n) ? S_RLE : S_RMJ;
            end
            S_RLE: begin
                z_in <= z_out; nbase <= nbase + n[SB:0]; k <= k + 8'd1; lbase <= next_lbase;
                if (k + 8'd1 == nl) begin
                    step <= step + 17'd1;
                    if (step + 17'd1 == steps_r) begin
                        sc <= {XB{1'b0}}; lim <= n; best <= 17'd0; best_j <= {NB{1'b0}};
                        state <= S_RAM;
                    end else state <= S_RST;
                end else begin
                    ll_i <= 4'd0; ll_ret <= S_RL; state <= S_LL;
                end
            end
            S_RAM: begin    // argmax of the counts, ties to the smaller index
                if (s_issue) begin c_raddr <= sc[NB-1:0]; sc <= sc + 1; end
                v1 <= s_issue; d1 <= sc; v2 <= v1; d2 <= d1;
                if (v2 && cnt_data > best) begin best <= cnt_data; best_j <= d2[NB-1:0]; end
                if (s_end) begin pred <= best_j; done <= 1'b1; state <= S_IDLE; end
            end
            default: state <= S_IDLE;
            endcase
        end
    end
endmodule
`default_nettype wire
