// The testbenches' clock: one full cycle of `clk`, rising edge then
// falling edge.
    task tick;
        begin
            #1 clk = 1'b1;
            #1 clk = 1'b0;
        end
    endtask
